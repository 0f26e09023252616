import * as tf from "@tensorflow/tfjs";
import type { CheckpointTensor } from "./checkpoint-tensor";

/**
 * The one place where PyTorch's layouts meet TF.js's: conv weights OIHW ↔ HWIO, linear weights
 * [out, in] ↔ [in, out]. Rank decides, as every 4-D tensor in a torchvision state dict is a conv
 * weight and every 2-D one a linear weight.
 */
export function fromTorchLayout(tensors: Map<string, CheckpointTensor>): Record<string, tf.Tensor> {
  const state: Record<string, tf.Tensor> = {};
  for (const [key, entry] of tensors) {
    state[key] = tf.tidy(() => {
      const tensor = tf.tensor(entry.values, entry.shape, entry.dtype);
      if (entry.shape.length === 4) return tf.transpose(tensor, [2, 3, 1, 0]);
      if (entry.shape.length === 2) return tf.transpose(tensor);
      return tensor;
    });
  }
  return state;
}

/** The inverse: torchvision layouts, ready for `.safetensors` or PyTorch. num_batches_tracked → int64. */
export function toTorchLayout(state: Record<string, tf.Tensor>): Map<string, CheckpointTensor> {
  const tensors = new Map<string, CheckpointTensor>();
  for (const [key, tensor] of Object.entries(state)) {
    const torchTensor = tf.tidy(() => {
      if (tensor.rank === 4) return tf.transpose(tensor, [3, 2, 0, 1]);
      if (tensor.rank === 2) return tf.transpose(tensor);
      return tensor.clone();
    });
    const dtype = tensor.dtype === "float32" ? "float32" : "int32";
    const values = dtype === "float32" ? Float32Array.from(torchTensor.dataSync()) : Int32Array.from(torchTensor.dataSync());
    tensors.set(key, {
      dtype,
      shape: [...torchTensor.shape],
      values,
      sourceDtype: key.endsWith("num_batches_tracked") ? "int64" : dtype,
    });
    torchTensor.dispose();
  }
  return tensors;
}
