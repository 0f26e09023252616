/** Ready-made pieces of the tutorials' recipes (notebook 02: ResNet on CIFAR-10). */
export { cifar10Settings, scaledLearningRate, positiveIntegerSetting, modelSetting, CIFAR10_MODELS, type Cifar10Model, REFERENCE_LR, REFERENCE_BATCH, DEFAULT_FULL_ROOT, type Cifar10Settings } from "./cifar10-settings";
export { balancedSubset } from "./balanced-subset";
