/** Engines under TF.js: backend "torch" on libtorch. */
export { loadTorchBackend, torchEngineConfiguration, torchBackendName } from "./torch";
export type { TorchBackendStatus } from "./torch";
