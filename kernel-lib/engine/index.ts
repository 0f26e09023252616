/** Engines under TF.js: backend "torch" on libtorch. */
export { loadTorchBackend, torchEngineConfiguration, TorchBackendStatus, torchBackendName } from "./torch";
