/** Every kernel backend "torch" implements natively (the rest fall back to the cpu backend's kernels). */
import * as tf from "@tensorflow/tfjs";
import { addReluKernels } from "./add-relu";
import { convolutionKernels } from "./convolution";
import { convBatchNormReluKernels } from "./conv-batch-norm-relu";
import { creationKernels } from "./creation";
import { elementwiseKernels } from "./elementwise";
import { gradientKernels } from "./gradient-kernels";
import { matmulKernels } from "./matmul";
import { normalizationKernels } from "./normalization";
import { poolingKernels } from "./pooling";
import { reductionKernels } from "./reductions";
import { resnetTrunkEvalKernels } from "./resnet-trunk-eval";
import { sgdStepKernels } from "./sgd-step";
import { shapeKernels } from "./shape";
import { trainingBatchNormKernels } from "./training-batch-norm";

export { registerCpuFallbacks } from "./cpu-fallback";

export const torchKernels: readonly tf.KernelConfig[] = [
  ...elementwiseKernels,
  ...convolutionKernels,
  ...poolingKernels,
  ...matmulKernels,
  ...normalizationKernels,
  ...reductionKernels,
  ...shapeKernels,
  ...creationKernels,
  ...gradientKernels,
  ...trainingBatchNormKernels,
  ...addReluKernels,
  ...convBatchNormReluKernels,
  ...resnetTrunkEvalKernels,
  ...sgdStepKernels,
];
