/**
 * Every diagnosis path, driven by fake probes (this machine has no GPU), plus the real path on this CPU box.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend, diagnoseBackends, useBestBackend, type BackendDiagnosis } from "../../kernel-lib/env/backend-selection";
import { checkEnvironment, environmentReportHtml, environmentReportText } from "../../kernel-lib/env/environment-check";
import type { EnvironmentProbes, TensorflowNodeStatus, TorchBackendStatus } from "../../kernel-lib/env/probes";

interface FakeMachine {
  gpu?: boolean;
  libraries?: string[];
  torch?: TorchBackendStatus;
  tfjsNodeGpu?: TensorflowNodeStatus;
  tfjsNode?: TensorflowNodeStatus;
  env?: Record<string, string>;
}

const ABSENT = (name: string): TensorflowNodeStatus => ({ loaded: false, error: `Cannot find module '${name}'` });

function fakeProbes(machine: FakeMachine): EnvironmentProbes {
  return {
    env: machine.env ?? {},
    runCommand(command, args) {
      if (command !== "nvidia-smi" || !machine.gpu) return { ok: false, stdout: "", error: "ENOENT" };
      if (args.length === 0) return { ok: true, stdout: "| NVIDIA-SMI 550.54   Driver Version: 550.54   CUDA Version: 12.4 |" };
      return { ok: true, stdout: "NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB, 1 MiB\n" };
    },
    findSharedLibrary: (soname) => (machine.libraries?.includes(soname) ? `/fake/${soname}` : undefined),
    loadTorchEngine: () => machine.torch,
    loadTensorflowNode: (name) =>
      (name === "@tensorflow/tfjs-node-gpu" ? machine.tfjsNodeGpu : machine.tfjsNode) ?? ABSENT(name),
    diskFreeBytes: () => 10 * 2 ** 30,
  };
}

function candidate(diagnosis: BackendDiagnosis, label: string) {
  const found = diagnosis.candidates.find((c) => c.label === label);
  assert.ok(found, `no candidate ${label}`);
  return found;
}

const TORCH_CUDA: TorchBackendStatus = { available: true, device: "cuda", deviceName: "NVIDIA H100", libtorchVersion: "2.3.0", memoryBytes: 80 * 2 ** 30 };
const TORCH_CPU: TorchBackendStatus = { available: true, device: "cpu", deviceName: "CPU", libtorchVersion: "1.13.1" };

test("no GPU, nothing optional installed: wasm wins and every better backend says why", () => {
  const diagnosis = diagnoseBackends(fakeProbes({}));
  assert.equal(chooseBackend(diagnosis).backend, "wasm");
  assert.match(candidate(diagnosis, "torch (cpu)").reason, /not built/);
  assert.match(candidate(diagnosis, "tensorflow (tfjs-node-gpu)").reason, /no NVIDIA GPU/);
  assert.match(candidate(diagnosis, "tensorflow (tfjs-node)").reason, /absent/);
  assert.deepEqual(diagnosis.gpus, []);
});

test("torch engine on CUDA is the first choice and reports its device", () => {
  const diagnosis = diagnoseBackends(fakeProbes({ gpu: true, torch: TORCH_CUDA }));
  const choice = chooseBackend(diagnosis);
  assert.equal(choice.backend, "torch");
  assert.equal(choice.candidate.label, "torch (cuda)");
  assert.match(choice.candidate.reason, /H100/);
  assert.equal(diagnosis.cudaVersion, "12.4");
  assert.equal(diagnosis.gpus[0].name, "NVIDIA H100 80GB HBM3");
});

test("GPU present, tfjs-node-gpu loaded but CUDA 11 libraries missing: fell back, fix is the pinned pip wheels", () => {
  const diagnosis = diagnoseBackends(
    fakeProbes({ gpu: true, libraries: ["libcudnn.so.8"], tfjsNodeGpu: { loaded: true, version: "4.22.0", isUsingGpuDevice: false } }),
  );
  const tfGpu = candidate(diagnosis, "tensorflow (tfjs-node-gpu)");
  assert.equal(tfGpu.usable, false);
  assert.match(tfGpu.reason, /fell back to CPU: libcudart\.so\.11\.0 not found/);
  assert.doesNotMatch(tfGpu.reason, /libcudnn/);
  assert.match(tfGpu.fix ?? "", /pip install --target \.cuda11 .*nvidia-cudnn-cu11==8\./);
  // It still runs on the CPU, ahead of wasm.
  assert.equal(chooseBackend(diagnosis).candidate.label, "tensorflow (tfjs-node)");
});

test("GPU present, libraries found, but TF still fell back: says so and how to see why", () => {
  const diagnosis = diagnoseBackends(
    fakeProbes({ gpu: true, libraries: ["libcudart.so.11.0", "libcudnn.so.8"], tfjsNodeGpu: { loaded: true, version: "4.22.0", isUsingGpuDevice: false } }),
  );
  const tfGpu = candidate(diagnosis, "tensorflow (tfjs-node-gpu)");
  assert.match(tfGpu.reason, /fell back to CPU/);
  assert.match(tfGpu.fix ?? "", /TF_CPP_MIN_LOG_LEVEL=0/);
});

test("GPU present and tfjs-node-gpu really on it: chosen over torch on CPU", () => {
  const diagnosis = diagnoseBackends(
    fakeProbes({ gpu: true, torch: TORCH_CPU, libraries: ["libcudart.so.11.0", "libcudnn.so.8"], tfjsNodeGpu: { loaded: true, version: "4.22.0", isUsingGpuDevice: true } }),
  );
  assert.equal(chooseBackend(diagnosis).candidate.label, "tensorflow (tfjs-node-gpu)");
  assert.match(candidate(diagnosis, "torch (cuda)").reason, /CPU-only libtorch/);
});

test("GPU present, tfjs-node-gpu absent, torch CPU-only: torch on CPU with the package fix listed", () => {
  const diagnosis = diagnoseBackends(fakeProbes({ gpu: true, torch: TORCH_CPU }));
  assert.equal(chooseBackend(diagnosis).candidate.label, "torch (cpu)");
  const tfGpu = candidate(diagnosis, "tensorflow (tfjs-node-gpu)");
  assert.match(tfGpu.reason, /absent/);
  assert.match(tfGpu.fix ?? "", /npm install @tensorflow\/tfjs-node-gpu/);
});

test("libtensorflow missing is told apart from an absent package", () => {
  const broken: TensorflowNodeStatus = { loaded: false, error: "libtensorflow.so.2: cannot open shared object file" };
  const diagnosis = diagnoseBackends(fakeProbes({ gpu: true, tfjsNodeGpu: broken }));
  assert.match(candidate(diagnosis, "tensorflow (tfjs-node-gpu)").reason, /libtensorflow missing/);
  const cpuOnly = diagnoseBackends(fakeProbes({ tfjsNode: broken }));
  assert.match(candidate(cpuOnly, "tensorflow (tfjs-node)").reason, /libtensorflow failed to load/);
});

test("torch engine built without CUDA on a GPU box, and a failing engine, carry the engine's own fix", () => {
  const failing: TorchBackendStatus = { available: false, reason: "libtorch.so not found", fix: "apt-get install libtorch-dev" };
  const diagnosis = diagnoseBackends(fakeProbes({ torch: failing }));
  assert.equal(candidate(diagnosis, "torch (cpu)").reason, "libtorch.so not found");
  assert.equal(candidate(diagnosis, "torch (cpu)").fix, "apt-get install libtorch-dev");
});

test("LAB_BACKEND and the argument override the choice; an unusable or unknown one is a clear error", () => {
  const diagnosis = diagnoseBackends(fakeProbes({ torch: TORCH_CPU }));
  assert.equal(chooseBackend(diagnosis).backend, "torch");
  assert.equal(chooseBackend(diagnosis, { env: { LAB_BACKEND: "cpu" } }).backend, "cpu");
  assert.equal(chooseBackend(diagnosis, { backend: "wasm", env: { LAB_BACKEND: "cpu" } }).backend, "wasm");
  assert.throws(() => chooseBackend(diagnosis, { env: { LAB_BACKEND: "tensorflow" } }), /LAB_BACKEND asks for backend 'tensorflow'.*absent/);
  assert.throws(() => chooseBackend(diagnosis, { env: { LAB_BACKEND: "webgpu" } }), /LAB_BACKEND="webgpu" is not a backend; use one of/);
});

test("the report explains, for the active backend, why each better one is not used, with fixes", async () => {
  await tf.setBackend("cpu");
  const report = checkEnvironment({ probes: fakeProbes({ gpu: true, tfjsNodeGpu: { loaded: true, version: "4.22.0", isUsingGpuDevice: false } }) });
  const text = environmentReportText(report);
  assert.match(text, /Active backend\s+cpu/);
  assert.match(text, /libcudart\.so\.11\.0, libcudnn\.so\.8 not found/);
  assert.match(text, /fix: .*pip install --target \.cuda11/);
  assert.match(text, /GPU 0\s+NVIDIA H100 80GB HBM3, driver 550\.54\.15/);
  assert.match(text, /isUsingGpuDevice \(tfjs-node\)\s+false/);
  assert.match(environmentReportHtml(report), /<table>.*✘ Not used: tensorflow \(tfjs-node-gpu\)/);
});

test("real machine: the best backend activates and the report names it", async () => {
  const choice = await useBestBackend();
  assert.equal(tf.getBackend(), choice.backend);
  const text = environmentReportText(checkEnvironment());
  assert.match(text, new RegExp(`Active backend\\s+${choice.candidate.label.replace(/[()]/g, "\\$&")}`));
  assert.match(text, /Node\s+v\d+/);
  assert.match(text, /CPU cores\s+\d+/);
  assert.equal(tf.tidy(() => tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0]), 5);
});

test("the Data loading row names the decode threads and flags a pool smaller than the cores", async () => {
  const { dataLoadingRow } = await import("../../kernel-lib/env/environment-check");
  const many = dataLoadingRow(16, undefined);
  assert.equal(many.status, "problem");
  assert.match(many.value, /^4 decode threads \(UV_THREADPOOL_SIZE=unset\).*: 12 of 16 cores cannot decode/);
  assert.match(many.fix ?? "", /UV_THREADPOOL_SIZE=16/);
  const sized = dataLoadingRow(16, "16");
  assert.equal(sized.status, "info");
  assert.match(sized.value, /^16 decode threads/);
  assert.equal(dataLoadingRow(2, undefined).status, "info", "libuv's 4 threads cover 2 cores");
  assert.match(environmentReportText(checkEnvironment()), /Data loading\s+\d+ decode threads/);
});
