/**
 * The backend's name and the engine-only kernel names that kernel-lib/models and kernel-lib/train ask for.
 * Kept in a module of constants, apart from the kernels, so that importing the models or the optimizers
 * (every notebook does) does not load the native addon's wrappers until loadTorchBackend() runs.
 */
export const torchBackendName = "torch";
export const torchAddRelu = "TorchAddRelu";
export const torchBatchNormRelu = "TorchBatchNormRelu";
export const torchConvBatchNormRelu = "TorchConvBatchNormRelu";
export const torchResNetTrunkEval = "TorchResNetTrunkEval";

/** TorchResNetTrunkEval's inputs for its convolution `index`: filter, then the BatchNorm's mean, variance, offset, scale. */
export function trunkInputNames(index: number): [string, string, string, string, string] {
  return [`filter${index}`, `mean${index}`, `variance${index}`, `offset${index}`, `scale${index}`];
}
export const torchTrainingBatchNorm = "TorchTrainingBatchNorm";
export const torchTrainingBatchNormGrad = "TorchTrainingBatchNormGrad";
export const torchSgdStep = "TorchSgdStep";
