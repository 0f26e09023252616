export {
  inferShapes,
  countGraphWeights,
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
export { float32ToFloat16Bits, encodeFloat16 } from "./float16";
export { quantizeWeight, type WeightQuantization, type QuantizedWeight } from "./weight-quantization";
export { graphToLayersArtifacts, type LayersModelExportOptions } from "./layers-model-export";
export {
  writeLayersModelFiles,
  layersModelFromDirectory,
  registerFileUrlLoader,
  writeAtomically,
  MODEL_JSON,
  DEFAULT_SHARD_BYTES,
  type WrittenModelFiles,
} from "./model-files";
export { onnxModelProto, OnnxDataType, OnnxAttributeType } from "./onnx-schema";
export { graphToOnnx, exportOnnxFile, ONNX_OPSET, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, type OnnxExportOptions } from "./onnx-export";
export { loadOnnxRuntime, openOnnxSession, runOnnxSession, type OnnxRuntime, type OnnxSessionOptions } from "./onnx-runtime";
export {
  compareQuantizations,
  type QuantizationReport,
  type QuantizationRow,
  type QuantizationReportOptions,
  type LabelledBatch,
} from "./quantization-report";
export { measureLatency, latencyTable, type MeasureLatencyOptions, type LatencySummary, type LatencyRow, type LatencyTableOptions } from "./latency";
export { writeBrowserDemo, type BrowserDemo, type BrowserDemoOptions } from "./browser-demo";
export { graphFromModule, type ExportableModule, type ForwardModule, type ModuleGraphOptions } from "./module-graph";
export { verifyLayersModelExport, verifyOnnxExport, DEFAULT_EXPORT_TOLERANCE, type ExportCheck } from "./verify-export";
export { exportModel, type ExportModelOptions, type ExportedModel } from "./export-model";
