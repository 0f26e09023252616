/**
 * What the training toolkit needs from a model, stated structurally so that kernel-lib/models' ResNet18
 * and a test's tiny network both fit without importing each other.
 */
import type * as tf from "@tensorflow/tfjs";

/** Parameters by dotted PyTorch name (`layer1.0.conv1.weight`); `variable.trainable` is `requires_grad`. */
export type NamedParameters = Array<[string, tf.Variable]>;

/** A state dict as a record or a Map of tensors owned by the model (not disposed by the reader). */
export type StateDictLike = Record<string, tf.Tensor> | Map<string, tf.Tensor>;

export interface TrainableModule {
  forward(input: tf.Tensor): tf.Tensor;
  /** Training mode (BatchNorm uses batch statistics, dropout is active). */
  train(mode?: boolean): unknown;
  /** Evaluation mode. */
  eval(): unknown;
  namedParameters(): NamedParameters;
  stateDict(): StateDictLike;
  /** Copies the values in; the caller still owns (and disposes) the tensors it passed. */
  loadStateDict(state: Record<string, tf.Tensor>, options?: { strict?: boolean }): unknown;
}

export function stateDictEntries(state: StateDictLike): Array<[string, tf.Tensor]> {
  return state instanceof Map ? [...state.entries()] : Object.entries(state);
}
