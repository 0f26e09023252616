import type { InferenceGraph, WeightTensor } from "./inference-graph";
import { inferShapes } from "./inference-graph";
import { assertNoBatchNorm, foldBatchNorm } from "./fold-batch-norm";
import { OnnxAttributeType, OnnxDataType, onnxModelProto } from "./onnx-schema";
import { writeAtomically } from "./model-files";

/**
 * Inference graph → ONNX model bytes (opset 13, IR version 7), BatchNorm folded first.
 * The graph computes in NCHW like PyTorch's own ONNX export. With `inputLayout: "NCHW"` (default)
 * the input is `input: float32[batch, C, H, W]`; with "NHWC" it is `[batch, H, W, C]` (the TF.js
 * layout) and the first node is a Transpose to NCHW. The output is `logits: float32[batch, classes]`.
 * Input normalization is not part of the graph: feed the same normalized tensors as to the model.
 */
export interface OnnxExportOptions {
  inputLayout?: "NCHW" | "NHWC";
  /** Extra key/value pairs stored in ModelProto.metadata_props (e.g. class names, mean/std). */
  metadata?: Record<string, string>;
}

export const ONNX_OPSET = 13;
const ONNX_IR_VERSION = 7;
export const ONNX_INPUT_NAME = "input";
export const ONNX_OUTPUT_NAME = "logits";

interface OnnxAttribute {
  name: string;
  type: number;
  i?: number;
  ints?: number[];
}
interface OnnxNode {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}
interface OnnxInitializer {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

const ints = (name: string, values: number[]): OnnxAttribute => ({ name, type: OnnxAttributeType.INTS, ints: values });
const int = (name: string, value: number): OnnxAttribute => ({ name, type: OnnxAttributeType.INT, i: value });

export function graphToOnnx(graph: InferenceGraph, options: OnnxExportOptions = {}): Uint8Array {
  const layout = options.inputLayout ?? "NCHW";
  if (layout !== "NCHW" && layout !== "NHWC") {
    throw new Error(`graphToOnnx: inputLayout must be "NCHW" or "NHWC", got ${JSON.stringify(layout)}.`);
  }
  const folded = foldBatchNorm(graph);
  assertNoBatchNorm(folded, "graphToOnnx");
  const shapes = inferShapes(folded);
  const nodes: OnnxNode[] = [];
  const initializers: OnnxInitializer[] = [];
  const valueName = new Map<string, string>();
  const valueOf = (name: string): string => valueName.get(name) as string;
  const constant = (name: string, weight: WeightTensor, dims: number[] = weight.shape, values: Float32Array = weight.values): string => {
    initializers.push({ name, dims, data_type: OnnxDataType.FLOAT, raw_data: littleEndianBytes(values) });
    return name;
  };

  if (layout === "NHWC") {
    nodes.push({ name: "input_to_nchw", op_type: "Transpose", input: [ONNX_INPUT_NAME], output: ["input_nchw"], attribute: [ints("perm", [0, 3, 1, 2])] });
    valueName.set(folded.input, "input_nchw");
  } else {
    valueName.set(folded.input, ONNX_INPUT_NAME);
  }
  for (const node of folded.nodes) {
    const output = node.name === folded.output ? ONNX_OUTPUT_NAME : node.name;
    valueName.set(node.name, output);
    switch (node.op) {
      case "conv2d": {
        const [kh, kw, cin, cout] = node.filter.shape;
        const inputs = [valueOf(node.input), constant(`${node.name}.weight`, node.filter, [cout, cin, kh, kw], hwioToOihw(node.filter))];
        if (node.bias) inputs.push(constant(`${node.name}.bias`, node.bias));
        nodes.push({
          name: node.name,
          op_type: "Conv",
          input: inputs,
          output: [output],
          attribute: [ints("kernel_shape", [kh, kw]), ints("strides", node.strides), ints("pads", node.pads), ints("dilations", [1, 1]), int("group", 1)],
        });
        break;
      }
      case "maxPool":
        nodes.push({
          name: node.name,
          op_type: "MaxPool",
          input: [valueOf(node.input)],
          output: [output],
          attribute: [ints("kernel_shape", node.kernel), ints("strides", node.strides), ints("pads", node.pads)],
        });
        break;
      case "relu":
        nodes.push({ name: node.name, op_type: "Relu", input: [valueOf(node.input)], output: [output], attribute: [] });
        break;
      case "add":
        nodes.push({ name: node.name, op_type: "Add", input: node.inputs.map(valueOf), output: [output], attribute: [] });
        break;
      case "globalAvgPool":
        nodes.push({ name: `${node.name}.pool`, op_type: "GlobalAveragePool", input: [valueOf(node.input)], output: [`${node.name}.pooled`], attribute: [] });
        nodes.push({ name: node.name, op_type: "Flatten", input: [`${node.name}.pooled`], output: [output], attribute: [int("axis", 1)] });
        break;
      case "linear": {
        const inputs = [valueOf(node.input), constant(`${node.name}.weight`, node.weight)];
        if (node.bias) {
          inputs.push(constant(`${node.name}.bias`, node.bias));
          nodes.push({ name: node.name, op_type: "Gemm", input: inputs, output: [output], attribute: [] });
        } else {
          nodes.push({ name: node.name, op_type: "MatMul", input: inputs, output: [output], attribute: [] });
        }
        break;
      }
      case "batchNorm":
        throw new Error("unreachable: BatchNorm was folded");
    }
  }
  const [height, width, channels] = folded.inputShape;
  const inputDims = layout === "NCHW" ? [channels, height, width] : [height, width, channels];
  const outputShape = shapes.get(folded.output) as number[];
  const tensorValue = (name: string, dims: number[]) => ({
    name,
    type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: [{ dim_param: "batch" }, ...dims.map((dim_value) => ({ dim_value }))] } } },
  });
  const ModelProto = onnxModelProto();
  const model = ModelProto.fromObject({
    ir_version: ONNX_IR_VERSION,
    producer_name: "ts-resnet-lab",
    producer_version: "0.1.0",
    opset_import: [{ domain: "", version: ONNX_OPSET }],
    doc_string: `${folded.name}: input ${layout} float32 (normalized like training), output logits.`,
    metadata_props: Object.entries({ input_layout: layout, ...options.metadata }).map(([key, value]) => ({ key, value })),
    graph: {
      name: folded.name,
      node: nodes,
      initializer: initializers,
      input: [tensorValue(ONNX_INPUT_NAME, inputDims)],
      output: [tensorValue(ONNX_OUTPUT_NAME, outputShape)],
    },
  });
  return ModelProto.encode(model).finish();
}

/** Writes `graphToOnnx(graph)` to `file` atomically; returns its size in bytes. */
export function exportOnnxFile(graph: InferenceGraph, file: string, options: OnnxExportOptions = {}): number {
  const bytes = graphToOnnx(graph, options);
  writeAtomically(file, bytes);
  return bytes.byteLength;
}

function hwioToOihw(filter: WeightTensor): Float32Array {
  const [kh, kw, cin, cout] = filter.shape;
  const out = new Float32Array(filter.values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = filter.values[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/** ONNX raw_data is little-endian; so is every platform Node runs on, but say it rather than assume. */
function littleEndianBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}
