export { runMode, byMode, type RunMode } from "./run-mode";
export {
  useBestBackend,
  chooseBackend,
  diagnoseBackends,
  queryGpus,
  queryCudaVersion,
  CUDA11_LIBRARIES,
  CUDA11_PIP_FIX,
  type BackendName,
  type BackendCandidate,
  type BackendChoice,
  type BackendDiagnosis,
  type GpuInfo,
  type UseBackendOptions,
} from "./backend-selection";
export {
  checkEnvironment,
  showEnvironment,
  environmentReportText,
  environmentReportHtml,
  environmentReportBundle,
  type EnvironmentReport,
  type EnvironmentRow,
  type CheckEnvironmentOptions,
} from "./environment-check";
export {
  machineProbes,
  type EnvironmentProbes,
  type CommandResult,
  type TorchBackendStatus,
  type TensorflowNodeStatus,
} from "./probes";
export { useWasmBackend, prepareWasmBackend } from "./wasm-backend";
export { registerWasmConv2dBackpropFilter, conv2dBackpropFilterByIm2col } from "./wasm-conv2d-backprop-filter";
export { registerWasmConv2dBackpropInput, conv2dBackpropInputByConv } from "./wasm-conv2d-backprop-input";
