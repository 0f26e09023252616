import * as fs from "node:fs";
import * as path from "node:path";
import { decodeElements, elementCount, ELEMENT_BYTES, type CheckpointTensor } from "./checkpoint-tensor";

/**
 * The `.safetensors` format: 8-byte little-endian header length, a JSON header mapping names to
 * `{dtype, shape, data_offsets}` (offsets relative to the end of the header), then raw data.
 */
const FILE_DTYPES: Record<string, string> = {
  F32: "float32", F64: "float64", F16: "float16", BF16: "bfloat16",
  I64: "int64", I32: "int32", I16: "int16", I8: "int8", U8: "uint8", BOOL: "bool",
};

export function readSafetensors(data: Buffer, source: string): Map<string, CheckpointTensor> {
  const corrupt = (reason: string): never => {
    throw new Error(`${source}: corrupt .safetensors file: ${reason}. Re-download or re-export it.`);
  };
  if (data.length < 8) corrupt("shorter than its 8-byte header length");
  const headerLength = Number(data.readBigUInt64LE(0));
  if (headerLength > data.length - 8 || headerLength < 2) corrupt(`header length ${headerLength} does not fit a ${data.length}-byte file`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(data.toString("utf8", 8, 8 + headerLength)) as typeof header;
  } catch {
    return corrupt("the JSON header does not parse");
  }
  const body = data.subarray(8 + headerLength);
  const tensors = new Map<string, CheckpointTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const dtype = FILE_DTYPES[entry.dtype];
    if (dtype === undefined) throw new Error(`${source}: tensor "${name}" has unsupported dtype ${entry.dtype}`);
    const [begin, end] = entry.data_offsets ?? [];
    const count = elementCount(entry.shape ?? []);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || end - begin !== count * ELEMENT_BYTES[dtype] || end > body.length) {
      corrupt(`tensor "${name}" has data_offsets [${begin}, ${end}] inconsistent with its shape [${entry.shape}] or the file size`);
    }
    const values = decodeElements(body, begin, count, dtype, `${source}: ${name}`);
    tensors.set(name, { dtype: values instanceof Float32Array ? "float32" : "int32", shape: [...entry.shape], values, sourceDtype: dtype });
  }
  return tensors;
}

/**
 * Writes tensors as `.safetensors` atomically (temp file + rename). float32 stays F32; int32
 * tensors whose source was int64 (PyTorch's num_batches_tracked) are written as I64 so PyTorch
 * loads them with its own dtypes.
 */
export function writeSafetensors(filePath: string, tensors: Map<string, CheckpointTensor>): void {
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    let chunk: Buffer;
    let dtype: string;
    if (tensor.dtype === "float32") {
      chunk = Buffer.alloc(tensor.values.length * 4);
      tensor.values.forEach((value, i) => chunk.writeFloatLE(value, i * 4));
      dtype = "F32";
    } else if (tensor.sourceDtype === "int64") {
      chunk = Buffer.alloc(tensor.values.length * 8);
      tensor.values.forEach((value, i) => chunk.writeBigInt64LE(BigInt(value), i * 8));
      dtype = "I64";
    } else {
      chunk = Buffer.alloc(tensor.values.length * 4);
      tensor.values.forEach((value, i) => chunk.writeInt32LE(value, i * 4));
      dtype = "I32";
    }
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + chunk.length] };
    chunks.push(chunk);
    offset += chunk.length;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
  const temporary = `${filePath}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, Buffer.concat([length, Buffer.from(json, "utf8"), ...chunks]));
    fs.renameSync(temporary, filePath);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
