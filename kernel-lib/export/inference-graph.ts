/**
 * A small inference graph: the one structural description every exporter reads, so the TF.js and
 * ONNX writers never depend on how kernel-lib/models implements its modules.
 *
 * Tensors flow in NHWC (TF.js's layout). Weights use TF.js layouts: conv filters HWIO
 * `[kh, kw, in, out]`, linear weights `[in, out]`. Padding is explicit and may be asymmetric
 * (`[top, left, bottom, right]`), as PyTorch's symmetric padding is not TF's 'same'.
 */

export interface WeightTensor {
  shape: number[];
  values: Float32Array;
}

interface NodeBase {
  /** Unique name; also the exported layer/node name, so keep it to [A-Za-z0-9_.-]. */
  name: string;
}

export interface Conv2dNode extends NodeBase {
  op: "conv2d";
  input: string;
  /** HWIO `[kh, kw, in, out]`. */
  filter: WeightTensor;
  /** `[out]`; undefined means no bias. */
  bias?: WeightTensor;
  strides: [number, number];
  /** `[top, left, bottom, right]` zero padding. */
  pads: [number, number, number, number];
}

export interface BatchNormNode extends NodeBase {
  op: "batchNorm";
  input: string;
  gamma: WeightTensor;
  beta: WeightTensor;
  runningMean: WeightTensor;
  runningVar: WeightTensor;
  epsilon: number;
}

export interface ReluNode extends NodeBase {
  op: "relu";
  input: string;
}

export interface MaxPoolNode extends NodeBase {
  op: "maxPool";
  input: string;
  kernel: [number, number];
  strides: [number, number];
  /** `[top, left, bottom, right]`; padded cells never win the max (PyTorch's -inf padding). */
  pads: [number, number, number, number];
}

/** Mean over height and width: NHWC → `[N, C]` (AdaptiveAvgPool2d(1) followed by flatten). */
export interface GlobalAvgPoolNode extends NodeBase {
  op: "globalAvgPool";
  input: string;
}

export interface AddNode extends NodeBase {
  op: "add";
  inputs: [string, string];
}

export interface LinearNode extends NodeBase {
  op: "linear";
  input: string;
  /** `[in, out]`. */
  weight: WeightTensor;
  bias?: WeightTensor;
}

export type GraphNode =
  | Conv2dNode
  | BatchNormNode
  | ReluNode
  | MaxPoolNode
  | GlobalAvgPoolNode
  | AddNode
  | LinearNode;

export interface InferenceGraph {
  name: string;
  /** Name of the graph input: an NHWC float32 image batch. */
  input: string;
  /** `[height, width, channels]` of one input image. */
  inputShape: [number, number, number];
  /** Nodes in execution order (each reads only the input or earlier nodes). */
  nodes: GraphNode[];
  /** Name of the node whose value is the output (logits `[N, classes]`). */
  output: string;
}

export function nodeInputs(node: GraphNode): string[] {
  return node.op === "add" ? [...node.inputs] : [node.input];
}

/** Output shape of every value (without the batch dimension); throws naming the first bad node. */
export function inferShapes(graph: InferenceGraph): Map<string, number[]> {
  const shapes = new Map<string, number[]>([[graph.input, [...graph.inputShape]]]);
  const need = (node: GraphNode, input: string): number[] => {
    const shape = shapes.get(input);
    if (!shape) {
      throw new Error(
        `graph "${graph.name}": node "${node.name}" reads "${input}", which is not the input or an earlier node; ` +
          "list nodes in execution order.",
      );
    }
    return shape;
  };
  const spatial = (size: number, kernel: number, stride: number, before: number, after: number): number =>
    Math.floor((size + before + after - kernel) / stride) + 1;
  for (const node of graph.nodes) {
    if (shapes.has(node.name)) throw new Error(`graph "${graph.name}": node name "${node.name}" is used twice.`);
    let out: number[];
    switch (node.op) {
      case "conv2d": {
        const [h, w, c] = need(node, node.input);
        const [kh, kw, cin, cout] = node.filter.shape;
        if (cin !== c) {
          throw new Error(`graph "${graph.name}": conv "${node.name}" expects ${cin} input channels but gets ${c}.`);
        }
        const [top, left, bottom, right] = node.pads;
        out = [spatial(h, kh, node.strides[0], top, bottom), spatial(w, kw, node.strides[1], left, right), cout];
        break;
      }
      case "maxPool": {
        const [h, w, c] = need(node, node.input);
        const [top, left, bottom, right] = node.pads;
        out = [
          spatial(h, node.kernel[0], node.strides[0], top, bottom),
          spatial(w, node.kernel[1], node.strides[1], left, right),
          c,
        ];
        break;
      }
      case "batchNorm": {
        out = need(node, node.input);
        const channels = out[out.length - 1];
        if (node.gamma.values.length !== channels) {
          throw new Error(`graph "${graph.name}": batchNorm "${node.name}" has ${node.gamma.values.length} channels, input has ${channels}.`);
        }
        break;
      }
      case "relu":
        out = need(node, node.input);
        break;
      case "globalAvgPool": {
        const shape = need(node, node.input);
        if (shape.length !== 3) throw new Error(`graph "${graph.name}": globalAvgPool "${node.name}" needs an HWC input.`);
        out = [shape[2]];
        break;
      }
      case "add": {
        const a = need(node, node.inputs[0]);
        const b = need(node, node.inputs[1]);
        if (a.join("x") !== b.join("x")) {
          throw new Error(`graph "${graph.name}": add "${node.name}" joins shapes ${a.join("x")} and ${b.join("x")}.`);
        }
        out = a;
        break;
      }
      case "linear": {
        const shape = need(node, node.input);
        if (shape.length !== 1 || shape[0] !== node.weight.shape[0]) {
          throw new Error(
            `graph "${graph.name}": linear "${node.name}" expects [${node.weight.shape[0]}] features, gets [${shape.join(", ")}].`,
          );
        }
        out = [node.weight.shape[1]];
        break;
      }
    }
    if (out.some((size) => !(size > 0))) {
      throw new Error(`graph "${graph.name}": node "${node.name}" produces an empty shape [${out.join(", ")}]; the input image is too small.`);
    }
    shapes.set(node.name, out);
  }
  if (!shapes.has(graph.output)) throw new Error(`graph "${graph.name}": output "${graph.output}" is not a node.`);
  return shapes;
}

/** Number of stored weight values (after folding this is what an export ships). */
export function countGraphWeights(graph: InferenceGraph): number {
  let total = 0;
  for (const node of graph.nodes) for (const tensor of graphNodeWeights(node)) total += tensor.values.length;
  return total;
}

export function graphNodeWeights(node: GraphNode): WeightTensor[] {
  switch (node.op) {
    case "conv2d":
      return node.bias ? [node.filter, node.bias] : [node.filter];
    case "linear":
      return node.bias ? [node.weight, node.bias] : [node.weight];
    case "batchNorm":
      return [node.gamma, node.beta, node.runningMean, node.runningVar];
    default:
      return [];
  }
}
