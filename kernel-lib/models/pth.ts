import { ZipArchive } from "./zip-archive";
import { PickleObject, unpickle, type CallableGlobal, type PickleHooks } from "./pickle";
import { decodeElements, elementCount, isFloatDtype, type CheckpointTensor } from "./checkpoint-tensor";

/**
 * Reads a PyTorch `.pth` file in torch.save's zip format (`<name>/data.pkl` + `<name>/data/<key>`
 * raw little-endian storages) into tensors in PyTorch layout. The pickle may hold the state dict
 * itself or a dict wrapping it (`state_dict`, `model`), as training scripts often save.
 */
const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
};

interface StorageReference {
  kind: "storage";
  key: string;
  dtype: string;
}

interface TensorReference {
  kind: "tensor";
  storage: StorageReference;
  offset: number;
  size: number[];
  stride: number[];
}

function isStorage(value: unknown): value is StorageReference {
  return typeof value === "object" && value !== null && (value as StorageReference).kind === "storage";
}

function isTensor(value: unknown): value is TensorReference {
  return typeof value === "object" && value !== null && (value as TensorReference).kind === "tensor";
}

export function readPth(data: Buffer, source: string): Map<string, CheckpointTensor> {
  if (!ZipArchive.isZip(data)) {
    if (data.length > 2 && data[0] === 0x80) {
      throw new Error(
        `${source}: this is PyTorch's legacy (pre-1.6) serialization, which is not supported. Re-save it in Python with ` +
          "torch.save(torch.load(path), new_path) (the zip format, default since PyTorch 1.6) or convert it to .safetensors.",
      );
    }
    throw new Error(`${source}: not a PyTorch checkpoint (no zip signature). Is it an HTML error page or a partial download?`);
  }
  const archive = new ZipArchive(data, source);
  const pickleName = [...archive.entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickleName === undefined) throw new Error(`${source}: zip archive has no <name>/data.pkl; it is not a torch.save file`);
  const prefix = pickleName.slice(0, -"data.pkl".length);

  const rebuildTensor: CallableGlobal = (args) => {
    const [storage, offset, size, stride] = args;
    if (!isStorage(storage) || typeof offset !== "number" || !Array.isArray(size) || !Array.isArray(stride)) {
      throw new Error(`${source}: unexpected _rebuild_tensor_v2 arguments`);
    }
    return { kind: "tensor", storage, offset, size: size as number[], stride: stride as number[] } satisfies TensorReference;
  };
  const hooks: PickleHooks = {
    resolveGlobal(module, name) {
      if (module === "collections" && name === "OrderedDict") return () => new Map();
      if (module === "torch._utils" && name === "_rebuild_tensor_v2") return rebuildTensor;
      // nn.Parameter saved directly: (tensor, requires_grad, hooks) → the tensor.
      if (module === "torch._utils" && name === "_rebuild_parameter") return (args) => args[0];
      return undefined;
    },
    persistentLoad(pid) {
      // ('storage', storage_class, key, location, numel)
      if (!Array.isArray(pid) || pid[0] !== "storage") throw new Error(`${source}: unexpected persistent id in data.pkl`);
      const storageClass = pid[1] as { name?: string };
      const dtype = STORAGE_DTYPES[storageClass?.name ?? ""];
      if (dtype === undefined) throw new Error(`${source}: unsupported storage type ${String(storageClass?.name)}`);
      return { kind: "storage", key: String(pid[2]), dtype } satisfies StorageReference;
    },
  };
  const root = unpickle(archive.read(pickleName), hooks, `${source} (${pickleName})`);
  const stateDict = findStateDict(root, source);

  const storages = new Map<string, Buffer>();
  const tensors = new Map<string, CheckpointTensor>();
  for (const [key, value] of stateDict) {
    if (!isTensor(value)) continue;
    const { storage } = value;
    let bytes = storages.get(storage.key);
    if (bytes === undefined) {
      bytes = archive.read(`${prefix}data/${storage.key}`);
      storages.set(storage.key, bytes);
    }
    tensors.set(String(key), materialize(value, bytes, `${source}: ${String(key)}`));
  }
  if (tensors.size === 0) throw new Error(`${source}: the checkpoint holds no tensors`);
  return tensors;
}

function findStateDict(root: unknown, source: string): Map<unknown, unknown> {
  if (root instanceof Map) {
    if ([...root.values()].some(isTensor)) return root;
    for (const wrapper of ["state_dict", "model", "model_state_dict", "net"]) {
      const inner = root.get(wrapper);
      if (inner instanceof Map && [...inner.values()].some(isTensor)) return inner;
    }
  }
  const what = root instanceof PickleObject ? `a pickled ${root.type.qualifiedName}` : typeof root;
  throw new Error(
    `${source}: expected a state dict (torch.save(model.state_dict(), path)), found ${what}. ` +
      "Save the model's state_dict rather than the whole model object.",
  );
}

/** Copies the tensor's elements out of its storage, honouring offset and strides. */
function materialize(tensor: TensorReference, storageBytes: Buffer, what: string): CheckpointTensor {
  const { size, stride, offset, storage } = tensor;
  const count = elementCount(size);
  const dtype: "float32" | "int32" = isFloatDtype(storage.dtype) ? "float32" : "int32";
  let contiguous = true;
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= size[d];
  }
  const elementBytes = storage.dtype === "float16" || storage.dtype === "bfloat16" || storage.dtype === "int16" ? 2
    : storage.dtype === "float32" || storage.dtype === "int32" ? 4 : storage.dtype.endsWith("64") ? 8 : 1;
  if (contiguous) {
    return { dtype, shape: [...size], values: decodeElements(storageBytes, offset * elementBytes, count, storage.dtype, what), sourceDtype: storage.dtype };
  }
  const span = size.reduce((max, s, d) => max + (s - 1) * stride[d], 0) + 1;
  const all = decodeElements(storageBytes, offset * elementBytes, count === 0 ? 0 : span, storage.dtype, what);
  const values = dtype === "float32" ? new Float32Array(count) : new Int32Array(count);
  const index = new Array<number>(size.length).fill(0);
  for (let i = 0; i < count; i++) {
    let source = 0;
    for (let d = 0; d < size.length; d++) source += index[d] * stride[d];
    values[i] = all[source];
    for (let d = size.length - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return { dtype, shape: [...size], values, sourceDtype: storage.dtype };
}
