export { Module, StateDictMismatchError } from "./module";
export { Conv2d, type Conv2dOptions } from "./conv2d";
export { BatchNorm2d } from "./batch-norm";
export { ReLU } from "./activation";
export { Identity } from "./identity";
export { MaxPool2d, AdaptiveAvgPool2d } from "./pooling";
export { Linear } from "./linear";
export { Sequential } from "./sequential";
export { BasicBlock, ResNet, type ResNetOptions } from "./resnet";
export { resnet18, resnet34, type PretrainedResNetOptions } from "./resnet-factory";
export { parameterCount, trainableParameterCount } from "./parameter-count";
export { freeze, unfreeze, freezeAllBut, freezeFirstChildren, type FreezeOptions, type FrozenBatchNormPolicy } from "./freeze";
export { summary, ModelSummary, type SummaryRow, type SummaryOptions } from "./summary";
export { manualSeed } from "./init";
export {
  RESNET_WEIGHTS,
  WEIGHTS_DIR_VARIABLE,
  WEIGHTS_MIRROR_VARIABLE,
  weightsCacheDir,
  loadCheckpointFile,
  readCheckpointTensors,
  saveSafetensors,
  resolveWeightsFile,
  type WeightsSource,
  type WeightsOptions,
  type WeightsEntry,
} from "./weights";
export { type CheckpointTensor } from "./checkpoint-tensor";
export { IMAGENET_CLASSES } from "./imagenet-classes";
export { IMAGENET_MEAN, IMAGENET_STD, imagenetTransform } from "./imagenet-transform";
export { classify, type ClassifyOptions, type ClassPrediction } from "./classify";
