export {
  inferShapes,
  countParameters,
  nodeInputs,
  graphNodeWeights,
  type InferenceGraph,
  type GraphNode,
  type WeightTensor,
  type Conv2dNode,
  type BatchNormNode,
  type ReluNode,
  type MaxPoolNode,
  type GlobalAvgPoolNode,
  type AddNode,
  type LinearNode,
} from "./inference-graph";
export { foldBatchNorm, assertNoBatchNorm } from "./fold-batch-norm";
export { runInferenceGraph } from "./run-inference-graph";
export { resnetGraphFromStateDict, type ResNetGraphOptions, type StateDictLike } from "./resnet-graph";
