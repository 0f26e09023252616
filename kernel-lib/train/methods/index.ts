export { classifierLogits, type ClassifierModule, type NamedGradientOptimizer, type StepLosses } from "./model-contract";
export { sigmoidRampUp } from "./ramp-up";
export { emaDecay, initTeacher, updateTeacher, type EmaDecayOptions, type TeacherBatchNorm } from "./ema";
export { namedGradients, type NamedGradients } from "./named-gradients";
export { perSampleCrossEntropy, crossEntropyMean, consistencyLoss, detach, type ConsistencyLossKind } from "./semi-supervised-losses";
export { meanTeacherStep, type MeanTeacherConfig, type MeanTeacherStepInput, type MeanTeacherLosses } from "./mean-teacher";
export { fixMatchStep, pseudoLabels, type FixMatchConfig, type FixMatchStepInput, type FixMatchLosses, type PseudoLabels } from "./fixmatch";
export { supervisedStep, type SupervisedStepInput } from "./supervised";
export { evaluateAccuracy, type LabeledBatches } from "./evaluate-accuracy";
export { CyclingBatches } from "./cycling-batches";
export {
  runSemiSupervised,
  type SemiSupervisedMethod,
  type SemiSupervisedRunOptions,
  type SemiSupervisedRun,
  type StepRecord,
  type EvaluationRecord,
} from "./semi-supervised-run";
export { accuracyCurves, pseudoLabelQuality, comparisonRows, comparisonTable, showComparison, type ComparisonRow } from "./comparison-report";
export { runResult, writeRunResult, type RunResultContext } from "./run-result-file";
export { semiSupervisedData, CIFAR10_MEAN, CIFAR10_STD, type SemiSupervisedDataOptions, type SemiSupervisedData } from "./semi-supervised-data";
