/**
 * Picks the fastest TF.js backend this machine can really run, and says why each faster one is not used.
 * Order of preference: torch on CUDA → tfjs-node-gpu really on the GPU → torch on CPU → tfjs-node (CPU)
 * → wasm → cpu. Override with `useBestBackend({ backend })` or the `LAB_BACKEND` environment variable.
 */
import * as tf from "@tensorflow/tfjs";
import { machineProbes, type EnvironmentProbes, type TensorflowNodeStatus, type TorchBackendStatus } from "./probes";
import { prepareWasmBackend } from "./wasm-backend";

export type BackendName = "torch" | "tensorflow" | "wasm" | "cpu";
const BACKEND_NAMES: readonly BackendName[] = ["torch", "tensorflow", "wasm", "cpu"];

export interface BackendCandidate {
  /** e.g. "torch (cuda)", "tensorflow (tfjs-node-gpu)" */
  label: string;
  backend: BackendName;
  usable: boolean;
  /** Why it is usable (device) or why not. */
  reason: string;
  /** The exact step that would make it usable; absent when usable or when nothing can be done. */
  fix?: string;
}

export const CUDA11_LIBRARIES = ["libcudart.so.11.0", "libcudnn.so.8"] as const;

/** Pinned CUDA 11 runtime wheels (cuDNN held at 8.x: newer nvidia-cudnn-cu11 ships cuDNN 9, which TF 2.9 cannot load). */
export const CUDA11_PIP_FIX =
  "/usr/bin/python3 -m pip install --target .cuda11 nvidia-cuda-runtime-cu11==11.7.99 nvidia-cudnn-cu11==8.5.0.96 " +
  "nvidia-cublas-cu11==11.10.3.66 nvidia-cufft-cu11==10.9.0.58 nvidia-curand-cu11==10.2.10.91 " +
  "nvidia-cusolver-cu11==11.4.0.1 nvidia-cusparse-cu11==11.7.4.91  # run in the repo root, then restart the kernel: " +
  "its launcher puts .cuda11/nvidia/*/lib (or $LAB_CUDA11_LIBS) on LD_LIBRARY_PATH";

const TFJS_NODE_GPU_FIX =
  "npm install @tensorflow/tfjs-node-gpu@4.22.0 (downloads libtensorflow 2.9.1 GPU; needs internet access to storage.googleapis.com)";
const TFJS_NODE_FIX = "npm install @tensorflow/tfjs-node@4.22.0 (downloads libtensorflow 2.9.1; needs internet access)";
const TORCH_BUILD_FIX = "Build the torch engine (kernel-lib/engine/torch, needs libtorch: Debian libtorch-dev or pip torch), then restart the kernel.";

export interface GpuInfo {
  name: string;
  driverVersion: string;
  memoryTotal: string;
  memoryUsed: string;
}

/** GPUs seen by nvidia-smi; empty when there is no NVIDIA driver. */
export function queryGpus(probes: EnvironmentProbes): GpuInfo[] {
  const result = probes.runCommand("nvidia-smi", ["--query-gpu=name,driver_version,memory.total,memory.used", "--format=csv,noheader"]);
  if (!result.ok) return [];
  return result.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [name, driverVersion, memoryTotal, memoryUsed] = line.split(",").map((field) => field.trim());
      return { name, driverVersion, memoryTotal, memoryUsed };
    });
}

/** The highest CUDA version the driver supports, from nvidia-smi's banner. */
export function queryCudaVersion(probes: EnvironmentProbes): string | undefined {
  const result = probes.runCommand("nvidia-smi", []);
  return result.ok ? /CUDA Version:\s*([\d.]+)/.exec(result.stdout)?.[1] : undefined;
}

export interface BackendDiagnosis {
  candidates: BackendCandidate[];
  gpus: GpuInfo[];
  cudaVersion?: string;
  torch?: TorchBackendStatus;
  tensorflowNode?: { packageName: string; status: TensorflowNodeStatus };
  missingCuda11Libraries: string[];
}

// Narrowing with `in` rather than on the boolean discriminant: tslab compiles kernel-lib without
// strictNullChecks, where `if (!status.available)` does not narrow the union.
function loadError(status: TensorflowNodeStatus | undefined): string | undefined {
  return status !== undefined && "error" in status ? status.error : undefined;
}

function torchCandidates(torch: TorchBackendStatus | undefined, hasGpu: boolean): [BackendCandidate, BackendCandidate] {
  if (torch === undefined) {
    const reason = "torch engine not built (kernel-lib/engine/torch is absent)";
    return [
      { label: "torch (cuda)", backend: "torch", usable: false, reason, fix: TORCH_BUILD_FIX },
      { label: "torch (cpu)", backend: "torch", usable: false, reason, fix: TORCH_BUILD_FIX },
    ];
  }
  if ("reason" in torch) {
    return [
      { label: "torch (cuda)", backend: "torch", usable: false, reason: torch.reason, fix: torch.fix },
      { label: "torch (cpu)", backend: "torch", usable: false, reason: torch.reason, fix: torch.fix },
    ];
  }
  const onDevice = `libtorch ${torch.libtorchVersion} on ${torch.deviceName}`;
  if (torch.device === "cuda") {
    return [
      { label: "torch (cuda)", backend: "torch", usable: true, reason: onDevice },
      { label: "torch (cpu)", backend: "torch", usable: false, reason: "torch runs on CUDA (the row above)" },
    ];
  }
  const noCuda: BackendCandidate = hasGpu
    ? {
        label: "torch (cuda)",
        backend: "torch",
        usable: false,
        reason: "a GPU is present but the torch engine was built against a CPU-only libtorch",
        fix: "Install a CUDA build of PyTorch (pip install torch) and rebuild the torch engine so it links that libtorch.",
      }
    : { label: "torch (cuda)", backend: "torch", usable: false, reason: "no NVIDIA GPU (nvidia-smi not found or no device)" };
  return [noCuda, { label: "torch (cpu)", backend: "torch", usable: true, reason: onDevice }];
}

function tensorflowGpuCandidate(status: TensorflowNodeStatus | undefined, hasGpu: boolean, missing: string[]): BackendCandidate {
  const label = "tensorflow (tfjs-node-gpu)";
  if (!hasGpu) return { label, backend: "tensorflow", usable: false, reason: "no NVIDIA GPU (nvidia-smi not found or no device)" };
  if (status === undefined || !status.loaded) {
    const error = loadError(status) ?? "";
    if (/Cannot find module '@tensorflow\/tfjs-node-gpu'/.test(error) || status === undefined)
      return { label, backend: "tensorflow", usable: false, reason: "package @tensorflow/tfjs-node-gpu absent", fix: TFJS_NODE_GPU_FIX };
    if (/libtensorflow/.test(error))
      return { label, backend: "tensorflow", usable: false, reason: `libtensorflow missing: ${error}`, fix: `Reinstall it: ${TFJS_NODE_GPU_FIX}` };
    return { label, backend: "tensorflow", usable: false, reason: `failed to load: ${error}`, fix: `Reinstall it: ${TFJS_NODE_GPU_FIX}` };
  }
  if (status.isUsingGpuDevice) return { label, backend: "tensorflow", usable: true, reason: `tfjs-node-gpu ${status.version} on the GPU` };
  if (missing.length > 0)
    return {
      label,
      backend: "tensorflow",
      usable: false,
      reason: `GPU present but TF fell back to CPU: ${missing.join(", ")} not found`,
      fix: CUDA11_PIP_FIX,
    };
  return {
    label,
    backend: "tensorflow",
    usable: false,
    reason: "GPU present but TF fell back to CPU (isUsingGpuDevice is false although the CUDA 11 libraries were found)",
    fix: "Start the kernel with TF_CPP_MIN_LOG_LEVEL=0 to see TensorFlow's 'Could not load dynamic library' lines; every library it names must be on LD_LIBRARY_PATH before Node starts.",
  };
}

function tensorflowCpuCandidate(status: TensorflowNodeStatus | undefined, packageName: string | undefined): BackendCandidate {
  const label = "tensorflow (tfjs-node)";
  if (status?.loaded) return { label, backend: "tensorflow", usable: true, reason: `${packageName} ${status.version} (CPU)` };
  const error = loadError(status);
  if (error !== undefined && !/Cannot find module/.test(error))
    return { label, backend: "tensorflow", usable: false, reason: `${packageName} installed but libtensorflow failed to load: ${error}`, fix: `Reinstall it: ${TFJS_NODE_FIX}` };
  return { label, backend: "tensorflow", usable: false, reason: "packages @tensorflow/tfjs-node and tfjs-node-gpu absent", fix: TFJS_NODE_FIX };
}

/** Runs every probe and returns each candidate's verdict, best first. Activates nothing (except loading tfjs-node). */
export function diagnoseBackends(probes: EnvironmentProbes = machineProbes()): BackendDiagnosis {
  const gpus = queryGpus(probes);
  const hasGpu = gpus.length > 0;
  const cudaVersion = hasGpu ? queryCudaVersion(probes) : undefined;
  const torch = probes.loadTorchEngine();
  const missingCuda11Libraries = hasGpu ? CUDA11_LIBRARIES.filter((lib) => probes.findSharedLibrary(lib) === undefined) : [];
  // Both tfjs-node packages register the same 'tensorflow' backend, so only one of them is loaded.
  let tensorflowNode: BackendDiagnosis["tensorflowNode"];
  let gpuStatus: TensorflowNodeStatus | undefined;
  if (hasGpu) {
    gpuStatus = probes.loadTensorflowNode("@tensorflow/tfjs-node-gpu");
    if (gpuStatus.loaded) tensorflowNode = { packageName: "@tensorflow/tfjs-node-gpu", status: gpuStatus };
  }
  if (tensorflowNode === undefined) {
    const cpuStatus = probes.loadTensorflowNode("@tensorflow/tfjs-node");
    tensorflowNode = { packageName: "@tensorflow/tfjs-node", status: cpuStatus };
    // Without a GPU, tfjs-node-gpu still runs on the CPU; try it when tfjs-node is simply not installed.
    if (!hasGpu && /Cannot find module/.test(loadError(cpuStatus) ?? "")) {
      const gpuPackageStatus = probes.loadTensorflowNode("@tensorflow/tfjs-node-gpu");
      if (!/Cannot find module/.test(loadError(gpuPackageStatus) ?? ""))
        tensorflowNode = { packageName: "@tensorflow/tfjs-node-gpu", status: gpuPackageStatus };
    }
  }
  const [torchCuda, torchCpu] = torchCandidates(torch, hasGpu);
  const candidates: BackendCandidate[] = [
    torchCuda,
    tensorflowGpuCandidate(gpuStatus, hasGpu, missingCuda11Libraries),
    torchCpu,
    tensorflowCpuCandidate(tensorflowNode?.status, tensorflowNode?.packageName),
    { label: "wasm", backend: "wasm", usable: true, reason: "@tensorflow/tfjs-backend-wasm (SIMD, single thread in Node)" },
    { label: "cpu", backend: "cpu", usable: true, reason: "pure JavaScript (very slow; last resort)" },
  ];
  return { candidates, gpus, cudaVersion, torch, tensorflowNode, missingCuda11Libraries };
}

export interface BackendChoice {
  backend: BackendName;
  candidate: BackendCandidate;
  diagnosis: BackendDiagnosis;
}

export interface UseBackendOptions {
  /** Force a backend (wins over LAB_BACKEND). */
  backend?: BackendName;
  probes?: EnvironmentProbes;
}

function parseBackendName(value: string, source: string): BackendName {
  const name = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(`${source}=${JSON.stringify(value)} is not a backend; use one of ${BACKEND_NAMES.join(", ")} (or leave it unset for the best one).`);
}

/** Chooses without activating: the forced backend if any (it must be usable), else the first usable candidate. */
export function chooseBackend(diagnosis: BackendDiagnosis, options: { backend?: BackendName; env?: Readonly<Record<string, string | undefined>> } = {}): BackendChoice {
  const fromEnv = options.env?.LAB_BACKEND;
  const forced = options.backend ?? (fromEnv ? parseBackendName(fromEnv, "LAB_BACKEND") : undefined);
  if (forced !== undefined) {
    const matching = diagnosis.candidates.filter((candidate) => candidate.backend === forced);
    const usable = matching.find((candidate) => candidate.usable);
    if (!usable) {
      const why = matching.map((candidate) => `${candidate.label}: ${candidate.reason}${candidate.fix ? ` (fix: ${candidate.fix})` : ""}`).join("; ");
      const source = options.backend !== undefined ? "useBestBackend({ backend })" : "LAB_BACKEND";
      throw new Error(`${source} asks for backend '${forced}', which is not usable here: ${why}. Unset it to use the best available backend.`);
    }
    return { backend: forced, candidate: usable, diagnosis };
  }
  const best = diagnosis.candidates.find((candidate) => candidate.usable);
  if (!best) throw new Error("No TF.js backend is usable (not even 'cpu'); reinstall @tensorflow/tfjs.");
  return { backend: best.backend, candidate: best, diagnosis };
}

/** Diagnoses, chooses and activates the backend; `await useBestBackend()` at the top of a notebook. */
export async function useBestBackend(options: UseBackendOptions = {}): Promise<BackendChoice> {
  const probes = options.probes ?? machineProbes();
  const choice = chooseBackend(diagnoseBackends(probes), { backend: options.backend, env: probes.env });
  if (choice.backend === "wasm") prepareWasmBackend();
  if (!(await tf.setBackend(choice.backend))) throw new Error(`tf.setBackend('${choice.backend}') failed although it was diagnosed usable: ${choice.candidate.reason}`);
  await tf.ready();
  return choice;
}
