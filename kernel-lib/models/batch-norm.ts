import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { ownedVariable } from "./init";
import { trainingBatchNormOnTorch } from "../engine/torch/training-batch-norm";
import { batchNormReluOnTorch } from "../engine/torch/batch-norm-relu";
import { addReluOnTorch } from "../engine/torch/add-relu";

/**
 * `nn.BatchNorm2d` with PyTorch's semantics (tfjs-layers' differ): momentum 0.1 as the weight of
 * the NEW statistic, eps 1e-5, running variance updated with the unbiased batch variance while the
 * batch is normalised with the biased one, and `num_batches_tracked` counted.
 *
 * In train mode the running statistics are assigned inside forward, so a training step under
 * tf.variableGrads updates them as PyTorch's does.
 *
 * Frozen-BatchNorm policy: `trainable = false` on weight/bias (PyTorch's requires_grad=False) does
 * NOT change this; the layer still uses batch statistics and updates its running ones in train
 * mode, exactly like PyTorch. Set `frozenStatistics = true` (or freeze(..., { batchNorm: "eval" }))
 * to make the layer behave as in eval mode whatever the model's mode: normalise with the running
 * statistics and leave them unchanged.
 */
export class BatchNorm2d extends Module {
  readonly eps: number;
  readonly momentum: number;
  frozenStatistics = false;
  weight: tf.Variable;
  bias: tf.Variable;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
  numBatchesTracked: tf.Variable;

  constructor(readonly numFeatures: number, options: { eps?: number; momentum?: number } = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new Error(`BatchNorm2d: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.weight = ownedVariable(tf.ones([numFeatures]));
    this.bias = ownedVariable(tf.zeros([numFeatures]));
    this.runningMean = ownedVariable(tf.zeros([numFeatures]), false);
    this.runningVar = ownedVariable(tf.ones([numFeatures]), false);
    // PyTorch keeps an int64 scalar; int32 is TF.js's widest integer and ample for a step count.
    this.numBatchesTracked = ownedVariable(tf.scalar(0, "int32"), false);
  }

  protected override ownParameters(): Array<[string, tf.Variable]> {
    return [["weight", this.weight], ["bias", this.bias]];
  }

  protected override ownBuffers(): Array<[string, tf.Variable]> {
    return [["running_mean", this.runningMean], ["running_var", this.runningVar], ["num_batches_tracked", this.numBatchesTracked]];
  }

  /** Eval form: normalises with the running statistics and leaves them unchanged (eval mode or frozen). */
  get usesRunningStatistics(): boolean {
    return !this.training || this.frozenStatistics;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.numFeatures) {
      throw new Error(`BatchNorm2d: expected NHWC input with ${this.numFeatures} channels, got shape [${x.shape.join(", ")}]`);
    }
    if (this.usesRunningStatistics) {
      return tf.tidy(() => tf.batchNorm(x as tf.Tensor4D, this.runningMean, this.runningVar, this.bias, this.weight, this.eps));
    }
    const count = x.size / this.numFeatures;
    if (count < 2) throw new Error(`BatchNorm2d: train mode needs more than one value per channel, got input shape [${x.shape.join(", ")}]`);
    return tf.tidy(() => {
      // Tidy is safe under tf.variableGrads: the tape keeps what the backward pass needs.
      this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, tf.scalar(1, "int32")));
      // Backend torch: ATen's native_batch_norm (statistics, normalisation and the running-statistics
      // update in one kernel, and its fused gradient); the TF.js path below reads x about three more times.
      const fused = trainingBatchNormOnTorch({ x: x as tf.Tensor4D, scale: this.weight as tf.Tensor1D, offset: this.bias as tf.Tensor1D,
        runningMean: this.runningMean as tf.Tensor1D, runningVar: this.runningVar as tf.Tensor1D, momentum: this.momentum, eps: this.eps });
      if (fused) {
        this.runningMean.assign(fused.runningMean);
        this.runningVar.assign(fused.runningVar);
        return fused.y;
      }
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const unbiased = tf.mul(variance, count / (count - 1));
      const keep = 1 - this.momentum;
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, keep), tf.mul(mean, this.momentum)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, keep), tf.mul(unbiased, this.momentum)));
      return tf.batchNorm(x as tf.Tensor4D, mean, variance, this.bias, this.weight, this.eps);
    });
  }

  /**
   * relu(this.forward(x) + residual), residual optional: a ResNet block's tail. In eval form outside a
   * gradient tape, backend torch runs it as one kernel that adds and rectifies in place; elsewhere the same
   * ops as calling forward and then ReLU.
   */
  forwardRelu(x: tf.Tensor, residual?: tf.Tensor): tf.Tensor {
    if (this.usesRunningStatistics && !this.hasWrappedForward()) {
      const fused = x.rank === 4 && x.shape[3] === this.numFeatures
        ? batchNormReluOnTorch({ x, mean: this.runningMean, variance: this.runningVar, offset: this.bias, scale: this.weight, eps: this.eps, residual })
        : undefined;
      if (fused) return fused;
    }
    return tf.tidy(() => {
      const y = this.forward(x);
      if (!residual) return tf.relu(y);
      return addReluOnTorch(y, residual) ?? tf.relu(tf.add(y, residual));
    });
  }

  override toString(): string {
    return `BatchNorm2d(${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum})`;
  }
}
