/**
 * TF.js backend "torch": kernels run on libtorch (ATen) through a Node addon, on oneDNN (CPU) or
 * cuDNN/cuBLAS (CUDA). `loadTorchBackend()` loads the addon and registers the backend; then
 * `tf.setBackend("torch")`.
 *
 * Environment switches (read once, at load):
 *   TORCH_ENGINE_THREADS=n   CPU threads for ATen (default: all available cores, like PyTorch).
 *   TORCH_ENGINE_DEVICE=cpu  stay on the CPU even when CUDA is available.
 *   TORCH_ENGINE_TF32=conv|all|none   TF32 on Ampere+ GPUs. Default "conv": PyTorch's defaults
 *                            (cuDNN convolutions in TF32, matmuls in full fp32); "all" adds matmuls.
 *   OMP_WAIT_POLICY / GOMP_SPINCOUNT  when neither is set, libgomp is loaded with OMP_WAIT_POLICY=PASSIVE
 *                            (idle threads sleep; see native-addon.ts); GOMP_SPINCOUNT=300000 restores
 *                            libgomp's and PyTorch's spin-then-sleep default.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { TorchBackend, torchBackendName } from "./backend";
import { registerTorchGradients } from "./gradients";
import { registerCpuFallbacks, torchKernels } from "./kernels";
import { AddonConfiguration, loadAddon } from "./native-addon";

export { TorchBackend, torchBackendName } from "./backend";
export { addonPath } from "./native-addon";

export type TorchBackendStatus =
  | { available: true; device: "cpu" | "cuda"; deviceName: string; libtorchVersion: string; memoryBytes?: number }
  | { available: false; reason: string; fix: string };

let status: TorchBackendStatus | undefined;

function cudaDeviceDescription(): { name: string; memoryBytes?: number } {
  // libtorch's C++ API has no device-name query without the CUDA toolkit headers; nvidia-smi ships with the driver.
  const query = spawnSync("nvidia-smi", ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits", "-i", "0"], { encoding: "utf8", timeout: 10_000 });
  if (query.status !== 0 || !query.stdout) return { name: "CUDA device 0" };
  const [name, memoryMiB] = query.stdout.trim().split(",").map((field) => field.trim());
  const mebibytes = Number(memoryMiB);
  return { name, memoryBytes: Number.isFinite(mebibytes) ? mebibytes * 1024 * 1024 : undefined };
}

function cpuDescription(): string {
  const model = os.cpus()[0]?.model?.trim() ?? "CPU";
  return `${model} (${os.availableParallelism()} cores)`;
}

function configure(): AddonConfiguration {
  const addon = loadAddon();
  const threads = Number(process.env.TORCH_ENGINE_THREADS ?? os.availableParallelism());
  const tf32 = process.env.TORCH_ENGINE_TF32 ?? "conv";
  if (!["conv", "all", "none"].includes(tf32)) throw new Error(`TORCH_ENGINE_TF32=${tf32} is not one of conv, all, none`);
  const probe = addon.configure({ threads: Number.isFinite(threads) && threads > 0 ? threads : os.availableParallelism() });
  const device = probe.cudaAvailable && process.env.TORCH_ENGINE_DEVICE !== "cpu" ? "cuda" : "cpu";
  return addon.configure({ device, tf32Conv: tf32 !== "none", tf32Matmul: tf32 === "all" });
}

/** Loads the addon and registers backend "torch" (idempotent). Never throws. */
export function loadTorchBackend(): TorchBackendStatus {
  if (status) return status;
  let configuration: AddonConfiguration;
  try {
    configuration = configure();
  } catch (error) {
    status = {
      available: false,
      reason: `torch engine unavailable: ${(error as Error).message}`,
      fix: "Install libtorch (apt-get install -y --no-install-recommends libtorch-dev, or pip install torch on a GPU box), then run `node kernel-lib/engine/torch/build.js`.",
    };
    return status;
  }
  const device = configuration.device;
  for (const kernel of torchKernels) {
    if (!tf.getKernel(kernel.kernelName, torchBackendName)) tf.registerKernel(kernel);
  }
  registerCpuFallbacks();
  registerTorchGradients();
  // Priority 0: registering must not change which backend TF.js picks by itself; callers opt in with
  // tf.setBackend("torch") (kernel-lib/env's selector does).
  if (!tf.findBackendFactory(torchBackendName)) tf.registerBackend(torchBackendName, () => new TorchBackend(device), 0);
  if (device === "cuda") {
    const description = cudaDeviceDescription();
    status = { available: true, device, deviceName: description.name, libtorchVersion: configuration.version, memoryBytes: description.memoryBytes };
  } else {
    status = { available: true, device, deviceName: cpuDescription(), libtorchVersion: configuration.version, memoryBytes: os.totalmem() };
  }
  return status;
}

/** Threads, TF32 and device as the addon has them now (after loadTorchBackend). */
export function torchEngineConfiguration(): AddonConfiguration {
  return loadAddon().configure({});
}
