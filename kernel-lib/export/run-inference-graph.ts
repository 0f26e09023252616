import * as tf from "@tensorflow/tfjs";
import type { InferenceGraph, WeightTensor } from "./inference-graph";
import { inferShapes } from "./inference-graph";

/**
 * Evaluates an inference graph with plain TF.js ops. It is the yardstick the exports are checked
 * against (and, before folding, against the source model), so it is written for obviousness:
 * explicit pads, then 'valid' convs and pools.
 */
export function runInferenceGraph(graph: InferenceGraph, images: tf.Tensor4D): tf.Tensor2D {
  const [height, width, channels] = graph.inputShape;
  const [, h, w, c] = images.shape;
  if (h !== height || w !== width || c !== channels) {
    throw new Error(
      `runInferenceGraph("${graph.name}"): input batch is ${h}x${w}x${c} but the graph was built for ` +
        `${height}x${width}x${channels}; resize the images or rebuild the graph with that inputShape.`,
    );
  }
  inferShapes(graph);
  return tf.tidy(() => {
    const values = new Map<string, tf.Tensor>([[graph.input, images]]);
    const read = (name: string): tf.Tensor => values.get(name) as tf.Tensor;
    const constant = (weight: WeightTensor): tf.Tensor => tf.tensor(weight.values, weight.shape, "float32");
    for (const node of graph.nodes) {
      let out: tf.Tensor;
      switch (node.op) {
        case "conv2d": {
          const [top, left, bottom, right] = node.pads;
          const padded = tf.pad(read(node.input) as tf.Tensor4D, [[0, 0], [top, bottom], [left, right], [0, 0]]);
          out = tf.conv2d(padded, constant(node.filter) as tf.Tensor4D, node.strides, "valid");
          if (node.bias) out = tf.add(out, constant(node.bias));
          break;
        }
        case "batchNorm":
          out = tf.batchNorm(
            read(node.input),
            constant(node.runningMean),
            constant(node.runningVar),
            constant(node.beta),
            constant(node.gamma),
            node.epsilon,
          );
          break;
        case "relu":
          out = tf.relu(read(node.input));
          break;
        case "maxPool": {
          const [top, left, bottom, right] = node.pads;
          const padded = tf.pad(
            read(node.input) as tf.Tensor4D,
            [[0, 0], [top, bottom], [left, right], [0, 0]],
            Number.NEGATIVE_INFINITY,
          );
          out = tf.maxPool(padded, node.kernel, node.strides, "valid");
          break;
        }
        case "globalAvgPool":
          out = tf.mean(read(node.input), [1, 2]);
          break;
        case "add":
          out = tf.add(read(node.inputs[0]), read(node.inputs[1]));
          break;
        case "linear":
          out = tf.matMul(read(node.input) as tf.Tensor2D, constant(node.weight) as tf.Tensor2D);
          if (node.bias) out = tf.add(out, constant(node.bias));
          break;
      }
      values.set(node.name, out);
    }
    return read(graph.output) as tf.Tensor2D;
  });
}
