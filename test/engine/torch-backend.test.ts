/**
 * Backend "torch" as a TF.js storage backend: the loadTorchBackend() contract, data round trips per dtype,
 * moving tensors between backends, disposal freeing native tensors, and the build script's promise never
 * to fail an install.
 */
import { test } from "node:test";
import { scratchCopyOfBuildScript } from "../env/addon-build-scratch";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadTorchBackend, torchEngineConfiguration } from "../../kernel-lib/engine";
import { addon } from "../../kernel-lib/engine/torch/native-addon";
import { torchKernels } from "../../kernel-lib/engine/torch/kernels";
import { torchBackendOrSkip } from "./torch-test-backend";

test("loadTorchBackend() reports the device and is idempotent", (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  const first = loadTorchBackend();
  const second = loadTorchBackend();
  assert.deepEqual(second, first);
  assert.ok(first.available);
  if (!first.available) return;
  assert.ok(first.device === "cpu" || first.device === "cuda");
  assert.match(first.libtorchVersion, /^\d+\.\d+\.\d+/);
  assert.ok(first.deviceName.length > 0);
  assert.ok(tf.findBackendFactory("torch"), "backend torch is registered");
  const configuration = torchEngineConfiguration();
  const expectedThreads = Number(process.env.TORCH_ENGINE_THREADS ?? os.availableParallelism());
  if (first.device === "cpu") assert.equal(configuration.threads, expectedThreads);
});

test("values round-trip per dtype and survive moves between backends", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  const floats = tf.tensor([1.5, -2.25, 3e-8, 1e30], [2, 2]);
  const ints = tf.tensor([1, -2, 2147483647, -2147483648], [4], "int32");
  const bools = tf.tensor([true, false, true], [3], "bool");
  const strings = tf.tensor(["a", "bé"], [2], "string");
  const scalar = tf.scalar(7);
  assert.deepEqual(Array.from(await floats.data()), [1.5, -2.25, Math.fround(3e-8), Math.fround(1e30)]);
  assert.deepEqual(Array.from(ints.dataSync()), [1, -2, 2147483647, -2147483648]);
  assert.deepEqual(Array.from(bools.dataSync()), [1, 0, 1]);
  assert.deepEqual(strings.dataSync(), ["a", "bé"]);
  // Kernels with native implementations hand string inputs to the cpu kernel.
  assert.deepEqual(tf.reshape(strings, [2, 1]).arraySync(), [["a"], ["bé"]]);
  assert.deepEqual(tf.concat([strings, strings]).dataSync(), ["a", "bé", "a", "bé"]);
  assert.deepEqual(Array.from(scalar.dataSync()), [7]);
  // The engine moves data when the backend changes; values must come through both ways.
  await tf.setBackend("cpu");
  const doubled = tf.mul(floats, 2);
  await tf.setBackend("torch");
  assert.deepEqual(Array.from(tf.add(doubled, floats).dataSync()), [4.5, -6.75, Math.fround(Math.fround(3e-8) * 3), Math.fround(Math.fround(1e30) * 3)]);
  tf.dispose([floats, ints, bools, strings, scalar, doubled]);
});

test("disposing tensors frees native tensors; reshaped views keep their data", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  const nativeBefore = addon().liveCount();
  const tensorsBefore = tf.memory().numTensors;
  const base = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const reshaped = tf.reshape(base, [3, 2]);
  const transposed = tf.transpose(base);
  base.dispose();
  // Views share storage with `base`; its disposal must not take their data with it.
  assert.deepEqual(Array.from(reshaped.dataSync()), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(transposed.dataSync()), [1, 4, 2, 5, 3, 6]);
  tf.dispose([reshaped, transposed]);
  for (let round = 0; round < 50; round++) tf.tidy(() => {
    tf.sum(tf.relu(tf.matMul(tf.ones([8, 8]), tf.randomNormal([8, 8]))));
  });
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.equal(addon().liveCount(), nativeBefore);
  const memory = tf.memory() as tf.MemoryInfo & { liveNativeTensors?: number };
  assert.equal(memory.liveNativeTensors, addon().liveCount());
});

test("kernel errors from libtorch name the operator and leave the backend usable", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  assert.throws(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 5])), /inner|shape|match/i);
  assert.deepEqual(Array.from(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()), [3]);
});

test("build.js exits 0 with a reason when it cannot build (npm install must not break)", () => {
  const { scratch, scriptFolder, scriptPath } = scratchCopyOfBuildScript("kernel-lib/engine/torch/build.js");
  try {
    const noLibtorch = spawnSync(process.execPath, [scriptPath], {
      encoding: "utf8",
      env: { ...process.env, TORCH_ENGINE_LIBTORCH: path.join(scratch, "no-such-libtorch") },
    });
    assert.equal(noLibtorch.status, 0, noLibtorch.stderr);
    assert.match(noLibtorch.stdout, /not built: .*no-such-libtorch/);
    const marker = JSON.parse(fs.readFileSync(path.join(scriptFolder, "native", "build", "engine.json"), "utf8")) as { built: boolean; reason: string; fix: string };
    assert.equal(marker.built, false);
    assert.ok(marker.fix.length > 0);
    // A machine with no libtorch anywhere: the finder asks no Python and sees an empty system root.
    const emptyRoot = path.join(scratch, "empty-root");
    fs.mkdirSync(emptyRoot);
    const nothingFound = spawnSync(process.execPath, [scriptPath], {
      encoding: "utf8",
      env: { ...process.env, TORCH_ENGINE_LIBTORCH: "", TORCH_ENGINE_PYTHONS: "", TORCH_ENGINE_SYSTEM_ROOT: emptyRoot },
    });
    assert.equal(nothingFound.status, 0, nothingFound.stderr);
    assert.match(nothingFound.stdout, /not built: no libtorch found/);
    assert.match(nothingFound.stdout, /fix: apt-get install -y --no-install-recommends libtorch-dev/);
    assert.match(nothingFound.stdout, /not an install error/);
    const nothingMarker = JSON.parse(fs.readFileSync(path.join(scriptFolder, "native", "build", "engine.json"), "utf8")) as { built: boolean; reason: string };
    assert.equal(nothingMarker.built, false);
    assert.match(nothingMarker.reason, /no libtorch found/);
    const skipped = spawnSync(process.execPath, [scriptPath], { encoding: "utf8", env: { ...process.env, TORCH_ENGINE_SKIP_BUILD: "1" } });
    assert.equal(skipped.status, 0);
    assert.match(skipped.stdout, /TORCH_ENGINE_SKIP_BUILD/);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

test("the addon loads OpenMP with sleeping idle threads unless the user chose a wait policy", (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  // libgomp prints its settings when OMP_DISPLAY_ENV is set; GOMP_SPINCOUNT 0 is the passive policy.
  const load = (extra: Record<string, string>) => {
    const env: Record<string, string | undefined> = { ...process.env, OMP_DISPLAY_ENV: "VERBOSE", ...extra };
    if (!("OMP_WAIT_POLICY" in extra)) delete env.OMP_WAIT_POLICY;
    delete env.GOMP_SPINCOUNT;
    const script = 'require("./kernel-lib/engine/torch/native-addon").loadAddon(); console.log(JSON.stringify(process.env.OMP_WAIT_POLICY ?? null))';
    return spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "-e", script], { encoding: "utf8", env, cwd: path.join(__dirname, "../..") });
  };
  const byDefault = load({});
  assert.equal(byDefault.status, 0, byDefault.stderr);
  assert.match(byDefault.stderr, /GOMP_SPINCOUNT = '0'/);
  assert.equal(byDefault.stdout.trim(), "null", "the variable is removed again, so later child processes keep their defaults");
  const chosen = load({ OMP_WAIT_POLICY: "ACTIVE" });
  assert.equal(chosen.status, 0, chosen.stderr);
  assert.match(chosen.stderr, /OMP_WAIT_POLICY = 'ACTIVE'/);
  assert.doesNotMatch(chosen.stderr, /GOMP_SPINCOUNT = '0'/);
});

test("every kernel the cpu backend has exists on backend torch (natively or as the cpu fallback)", (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  const missing = tf.getKernelsForBackend("cpu").map((kernel) => kernel.kernelName).filter((name) => !tf.getKernel(name, "torch"));
  assert.deepEqual(missing, []);
  // And the ResNet kernels are native, not the fallback (which would be correct but far too slow).
  const nativeNames = ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "FusedBatchNorm", "MaxPool", "MaxPoolGrad", "AvgPool", "AvgPoolGrad", "BatchMatMul", "Softmax", "Relu"];
  const implemented = new Set(torchKernels.map((kernel) => kernel.kernelName));
  for (const name of nativeNames) assert.ok(implemented.has(name), `${name} is only the cpu fallback`);
});
