import * as tf from "@tensorflow/tfjs";
import type { GraphNode, InferenceGraph } from "./inference-graph";
import { graphNodeWeights, inferShapes } from "./inference-graph";
import { assertNoBatchNorm, foldBatchNorm } from "./fold-batch-norm";
import { quantizeWeight, type WeightQuantization } from "./weight-quantization";

/**
 * Inference graph → TF.js LayersModel artifacts (Keras functional topology + weight specs + one
 * weight buffer), the format `tf.loadLayersModel` reads in a browser or React Native.
 * BatchNorm is folded first. PyTorch's explicit (symmetric) padding becomes a ZeroPadding2D layer
 * before a 'valid' conv or pool, because TF's 'same' pads stride-2 layers asymmetrically.
 */
export interface LayersModelExportOptions {
  /** Weight storage: float32 (default), float16 or uint8 (see weight-quantization.ts). */
  quantization?: WeightQuantization;
}

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, never>][][];
}

export function graphToLayersArtifacts(graph: InferenceGraph, options: LayersModelExportOptions = {}): tf.io.ModelArtifacts {
  const folded = foldBatchNorm(graph);
  assertNoBatchNorm(folded, "graphToLayersArtifacts");
  inferShapes(folded);
  const layerNames = uniqueLayerNames(folded);
  const layerOf = (value: string): string => layerNames.get(value) as string;
  const byName = new Map(folded.nodes.map((node) => [node.name, node] as const));
  const layers: KerasLayer[] = [
    {
      class_name: "InputLayer",
      name: layerOf(folded.input),
      config: { batch_input_shape: [null, ...folded.inputShape], dtype: "float32", sparse: false, name: layerOf(folded.input) },
      inbound_nodes: [],
    },
  ];
  const add = (class_name: string, name: string, inputs: string[], config: Record<string, unknown>): string => {
    layers.push({
      class_name,
      name,
      config: { ...config, name, trainable: false },
      inbound_nodes: [inputs.map((input) => [input, 0, 0, {}] as [string, number, number, Record<string, never>])],
    });
    return name;
  };
  const padded = (node: GraphNode & { pads: [number, number, number, number] }, input: string): string => {
    const [top, left, bottom, right] = node.pads;
    if (top + left + bottom + right === 0) return input;
    return add("ZeroPadding2D", `${layerOf(node.name)}_pad`, [input], {
      padding: [[top, bottom], [left, right]],
      data_format: "channels_last",
    });
  };

  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const weightChunks: Uint8Array[] = [];
  const pushWeight = (name: string, shape: number[], values: Float32Array): void => {
    const quantized = quantizeWeight(values, options.quantization ?? "float32");
    weightSpecs.push(quantized.quantization ? { name, shape, dtype: "float32", quantization: quantized.quantization } : { name, shape, dtype: "float32" });
    weightChunks.push(quantized.bytes);
  };

  for (const node of folded.nodes) {
    const name = layerOf(node.name);
    switch (node.op) {
      case "conv2d": {
        const [kh, kw, , filters] = node.filter.shape;
        add("Conv2D", name, [padded(node, layerOf(node.input))], {
          filters,
          kernel_size: [kh, kw],
          strides: node.strides,
          padding: "valid",
          data_format: "channels_last",
          dilation_rate: [1, 1],
          activation: "linear",
          use_bias: node.bias !== undefined,
        });
        break;
      }
      case "maxPool": {
        // Zero padding equals PyTorch's -inf padding only when every input is >= 0 (after a ReLU).
        const source = byName.get(node.input);
        const nonNegative = source?.op === "relu" || (source?.op === "maxPool" && byName.get(source.input)?.op === "relu");
        if (node.pads.some((pad) => pad > 0) && !nonNegative) {
          throw new Error(
            `graphToLayersArtifacts: padded max-pool "${node.name}" reads "${node.input}", which is not a ReLU output; ` +
              "TF.js layers can only zero-pad, which changes the max of negative inputs. Put the pool after a ReLU or remove its padding.",
          );
        }
        add("MaxPooling2D", name, [padded(node, layerOf(node.input))], {
          pool_size: node.kernel,
          strides: node.strides,
          padding: "valid",
          data_format: "channels_last",
        });
        break;
      }
      case "relu":
        add("ReLU", name, [layerOf(node.input)], { max_value: null });
        break;
      case "add":
        add("Add", name, node.inputs.map(layerOf), {});
        break;
      case "globalAvgPool":
        add("GlobalAveragePooling2D", name, [layerOf(node.input)], { data_format: "channels_last" });
        break;
      case "linear":
        add("Dense", name, [layerOf(node.input)], { units: node.weight.shape[1], activation: "linear", use_bias: node.bias !== undefined });
        break;
      case "batchNorm":
        throw new Error("unreachable: BatchNorm was folded");
    }
    const [kernel, bias] = graphNodeWeights(node);
    if (kernel) pushWeight(`${name}/kernel`, kernel.shape, kernel.values);
    if (bias) pushWeight(`${name}/bias`, bias.shape, bias.values);
  }

  const totalBytes = weightChunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const weightData = new Uint8Array(totalBytes);
  let offset = 0;
  for (const chunk of weightChunks) {
    weightData.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: "ts-resnet-lab kernel-lib/export",
    modelTopology: {
      class_name: "Model",
      config: {
        name: layerNames.get("") as string,
        layers,
        input_layers: [[layerOf(folded.input), 0, 0]],
        output_layers: [[layerOf(folded.output), 0, 0]],
      },
      keras_version: `tfjs-layers ${tf.version_layers}`,
      backend: "tensor_flow.js",
    },
    weightSpecs,
    weightData: weightData.buffer,
  };
}

/**
 * Keras layer names: dots (torchvision's "layer1.0.conv1") become underscores and clashes get a
 * suffix. The "" key holds the model's own name, which must not clash with a layer either.
 */
function uniqueLayerNames(graph: InferenceGraph): Map<string, string> {
  const used = new Set<string>();
  const names = new Map<string, string>();
  const claim = (value: string, wanted: string): void => {
    let base = wanted.replace(/[^A-Za-z0-9_]/g, "_") || "layer";
    if (!/^[A-Za-z]/.test(base)) base = `l_${base}`;
    let name = base;
    for (let suffix = 2; used.has(name) || used.has(`${name}_pad`); suffix++) name = `${base}_${suffix}`;
    used.add(name);
    used.add(`${name}_pad`);
    names.set(value, name);
  };
  claim(graph.input, graph.input);
  for (const node of graph.nodes) claim(node.name, node.name);
  claim("", graph.name);
  return names;
}
