/**
 * Faster gradients for the ops a ResNet training step spends its time in, used only while backend "torch"
 * is active. tf.registerGradient is global, so each replacement keeps TF.js's own gradient and calls it on
 * every other backend (and for shapes the torch kernels do not cover).
 */
import * as tf from "@tensorflow/tfjs";
import { TorchBackend, torchBackendName } from "./backend";
import { torchBatchNormGrad, torchMeanGrad, torchReluGrad, torchSquaredDifferenceGrad } from "./kernels/gradient-kernels";
import { torchTrainingBatchNorm, torchTrainingBatchNormGrad } from "./kernels/training-batch-norm";
import { torchAddRelu } from "./kernels/add-relu";

type GradientMap = { [inputName: string]: () => tf.Tensor };
type TorchGradient = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => GradientMap | undefined;

const replaced = new Set<string>();

function replaceGradient(kernelName: string, torchGradient: TorchGradient): void {
  if (replaced.has(kernelName)) return;
  const original = tf.getGradient(kernelName);
  if (!original) return;
  replaced.add(kernelName);
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const single = Array.isArray(dy) ? undefined : dy;
      const fast = single && tf.getBackend() === torchBackendName ? torchGradient(single, saved, attrs) : undefined;
      return fast ?? original.gradFunc(dy, saved, attrs);
    },
  });
}

function runTorchKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs) as unknown as tf.Tensor | tf.Tensor[];
}

function isPerChannel(parameter: tf.Tensor | undefined, channels: number): boolean {
  return parameter === undefined || parameter === null || (parameter.rank === 1 && parameter.shape[0] === channels);
}

export function registerTorchGradients(): void {
  replaceGradient("Relu", (dy, [x]) => ({ x: () => runTorchKernel(torchReluGrad, { dy, x }) as tf.Tensor }));

  replaceGradient("FusedBatchNorm", (dy, [x, mean, variance, scale], attrs) => {
    const channels = x.shape[x.rank - 1];
    if (!(x.rank === 4 || x.rank === 2) || ![mean, variance, scale].every((parameter) => isPerChannel(parameter, channels))) return undefined;
    const backend = tf.backend() as TorchBackend;
    const root = backend.valueRoot(x);
    const meanOrigin = backend.originOf(mean);
    const varianceOrigin = backend.originOf(variance);
    const batchStatistics = meanOrigin?.kind === "batchMean" && meanOrigin.source === root && varianceOrigin?.kind === "batchVariance" && varianceOrigin.source === root;
    // Computed here, not inside the per-input closures: TF.js runs each closure in its own tidy, which
    // would dispose results shared between them. Unused results die with the backward pass's scope.
    const [dx, dmean, dvariance, dscale, doffset] = runTorchKernel(torchBatchNormGrad, scale ? { dy, x, mean, variance, scale } : { dy, x, mean, variance },
      { ...attrs, batchStatistics }) as tf.Tensor[];
    return { x: () => dx, mean: () => dmean, variance: () => dvariance, scale: () => dscale, offset: () => doffset };
  });

  replaceGradient("SquaredDifference", (dy, [a, b]) => {
    // The fused kernel produces a-shaped gradients; other broadcasts keep TF.js's formula.
    if (!tf.util.arraysEqual(dy.shape, a.shape)) return undefined;
    const [gradientOfA, gradientOfB] = runTorchKernel(torchSquaredDifferenceGrad, { dy, a, b }) as tf.Tensor[];
    return { a: () => gradientOfA, b: () => gradientOfB };
  });

  // d(x^2) = 2x dy; with a known-zero dy (the variance path after a batch-statistics BatchNorm gradient)
  // the answer is zero without touching x.
  replaceGradient("Square", (dy) => ((tf.backend() as TorchBackend).isZeros(dy) ? { x: () => tf.zerosLike(dy) } : undefined));

  replaceGradient("Mean", (dy, [x], attrs) => ({
    x: () => runTorchKernel(torchMeanGrad, { dy }, { xShape: x.shape, axis: attrs.axis as number | number[] }) as tf.Tensor,
  }));

  // The kernel exists only on backend torch, so its gradient needs no fallback. Saved: x, scale, then the
  // batch mean and invstd outputs. The running statistics get no gradient (zeros, as buffers in PyTorch).
  if (!tf.getGradient(torchTrainingBatchNorm)) {
    tf.registerGradient({
      kernelName: torchTrainingBatchNorm,
      inputsToSave: ["x", "scale"],
      outputsToSave: [false, true, true, false, false],
      gradFunc: (dy, [x, scale, saveMean, saveInvstd], attrs) => {
        const dyOfOutput = Array.isArray(dy) ? dy[0] : dy;
        // One kernel for all three gradients, outside the per-input closures (each runs in its own tidy).
        const [dx, dscale, doffset] = runTorchKernel(torchTrainingBatchNormGrad, { dy: dyOfOutput, x, scale, saveMean, saveInvstd }, attrs) as tf.Tensor[];
        return { x: () => dx, scale: () => dscale, offset: () => doffset, runningMean: () => tf.zerosLike(saveMean), runningVar: () => tf.zerosLike(saveMean) };
      },
    });
  }

  // relu(a + b): the output is positive exactly where a + b is, so masking dy by the output is ReLU's
  // gradient; the sum passes it unchanged to both (same shapes). b gets its own tensor object (a clone
  // shares the data): TF.js accumulates and disposes each input's gradient separately.
  if (!tf.getGradient(torchAddRelu)) {
    tf.registerGradient({
      kernelName: torchAddRelu,
      outputsToSave: [true],
      gradFunc: (dy, [y]) => {
        const masked = runTorchKernel(torchReluGrad, { dy: Array.isArray(dy) ? dy[0] : dy, x: y }) as tf.Tensor;
        return { a: () => masked, b: () => tf.clone(masked) };
      },
    });
  }
}
