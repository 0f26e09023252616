import type { BatchNormNode, Conv2dNode, GraphNode, InferenceGraph } from "./inference-graph";
import { nodeInputs } from "./inference-graph";

/**
 * Folds every inference-mode BatchNorm into the conv that feeds it:
 *   scale = gamma / sqrt(runningVar + eps)
 *   filter'[.., o] = filter[.., o] * scale[o],  bias'[o] = (bias[o] - mean[o]) * scale[o] + beta[o]
 * so a phone runs one conv instead of conv + four elementwise ops. Only a conv whose output feeds
 * nothing but that BatchNorm is folded (otherwise the unnormalized value is still needed).
 * Readers of the BatchNorm are rewired to the folded conv, which keeps the conv's name.
 * Returns a new graph; the input graph is not modified.
 */
export function foldBatchNorm(graph: InferenceGraph): InferenceGraph {
  const readers = new Map<string, number>();
  for (const node of graph.nodes) {
    for (const input of nodeInputs(node)) readers.set(input, (readers.get(input) ?? 0) + 1);
  }
  const byName = new Map(graph.nodes.map((node) => [node.name, node] as const));
  const renamed = new Map<string, string>();
  const folded = new Map<string, Conv2dNode>();
  for (const node of graph.nodes) {
    if (node.op !== "batchNorm") continue;
    const producer = byName.get(node.input);
    if (producer?.op !== "conv2d" || readers.get(producer.name) !== 1 || graph.output === producer.name) continue;
    folded.set(producer.name, foldInto(producer, node));
    renamed.set(node.name, producer.name);
  }
  const rename = (name: string): string => renamed.get(name) ?? name;
  const nodes: GraphNode[] = [];
  for (const node of graph.nodes) {
    if (renamed.has(node.name)) continue;
    const replaced = folded.get(node.name) ?? node;
    nodes.push(
      replaced.op === "add"
        ? { ...replaced, inputs: [rename(replaced.inputs[0]), rename(replaced.inputs[1])] }
        : { ...replaced, input: rename(replaced.input) },
    );
  }
  return { ...graph, nodes, output: rename(graph.output) };
}

function foldInto(conv: Conv2dNode, norm: BatchNormNode): Conv2dNode {
  const outChannels = conv.filter.shape[3];
  if (norm.gamma.values.length !== outChannels) {
    throw new Error(
      `foldBatchNorm: "${norm.name}" has ${norm.gamma.values.length} channels but conv "${conv.name}" has ${outChannels}.`,
    );
  }
  const scale = new Float64Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    scale[o] = norm.gamma.values[o] / Math.sqrt(norm.runningVar.values[o] + norm.epsilon);
  }
  const filter = new Float32Array(conv.filter.values.length);
  for (let i = 0; i < filter.length; i++) filter[i] = conv.filter.values[i] * scale[i % outChannels];
  const bias = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const convBias = conv.bias ? conv.bias.values[o] : 0;
    bias[o] = (convBias - norm.runningMean.values[o]) * scale[o] + norm.beta.values[o];
  }
  return {
    ...conv,
    filter: { shape: [...conv.filter.shape], values: filter },
    bias: { shape: [outChannels], values: bias },
  };
}

/** Throws naming the first BatchNorm left, for exporters that only write folded graphs. */
export function assertNoBatchNorm(graph: InferenceGraph, exporter: string): void {
  const left = graph.nodes.find((node) => node.op === "batchNorm");
  if (left) {
    throw new Error(
      `${exporter}: BatchNorm "${left.name}" does not follow a conv it can be folded into; ` +
        "export supports BatchNorm only directly after a conv (call foldBatchNorm first).",
    );
  }
}
