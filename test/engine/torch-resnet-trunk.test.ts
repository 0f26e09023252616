/**
 * kernel-lib/models' eval-mode ResNet trunk as one TorchResNetTrunkEval kernel (oneDNN's blocked layout, every
 * BatchNorm folded): the cpu backend's logits for the ImageNet stem (with max pool) and the CIFAR stem
 * (3x3 conv1, maxpool = Identity); new running statistics make a new fold; no leaks; and it steps aside
 * (modules one by one) under a gradient tape, with summary()'s hooks, and after surgery it does not cover.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { BasicBlock, Conv2d, Identity, manualSeed, Module, resnet18, ReLU, summary, type ResNet } from "../../kernel-lib/models";
import { seededValues, torchBackendOrSkip } from "./torch-test-backend";

type Surgery = "none" | "cifar" | "custom relu";

/** A ReLU that is not the stock module (a user's replacement): the trunk must not skip its forward. */
class LoggingReLU extends Module {
  calls = 0;
  forward(x: tf.Tensor): tf.Tensor {
    this.calls++;
    return tf.relu(x);
  }
}

function model(surgery: Surgery): ResNet {
  manualSeed(5);
  const net = resnet18({ numClasses: 4 });
  if (surgery === "cifar") {
    net.conv1.dispose();
    net.conv1 = new Conv2d(3, 64, 3, { stride: 1, padding: 1, bias: false });
    net.maxpool = new Identity();
  }
  if (surgery === "custom relu") (net.layer3[1] as BasicBlock).relu = new LoggingReLU() as unknown as ReLU;
  // Non-trivial running statistics, so that folding them matters.
  for (const [name, buffer] of net.namedBuffers()) {
    if (name.endsWith("running_mean")) buffer.assign(tf.tensor(seededValues(buffer.size, buffer.size, -0.2, 0.2)));
    if (name.endsWith("running_var")) buffer.assign(tf.tensor(seededValues(buffer.size, buffer.size + 1, 0.5, 1.5)));
  }
  net.train(false);
  return net;
}

interface Run {
  logits: Float32Array;
  /** After new running statistics in layer2's first block. */
  logitsAfterNewStatistics: Float32Array;
  kernels: string[];
}

async function run(backend: string, surgery: Surgery, size: number): Promise<Run> {
  await tf.setBackend(backend);
  const net = model(surgery);
  const images = tf.tensor(seededValues(2 * size * size * 3, 21), [2, size, size, 3]);
  const profile = await tf.profile(() => void tf.tidy(() => net.forward(images)));
  const logits = tf.tidy(() => net.forward(images).dataSync() as Float32Array);
  const block = net.layer2[0] as unknown as { bn1: { runningMean: tf.Variable; runningVar: tf.Variable } };
  block.bn1.runningMean.assign(tf.tensor(seededValues(128, 31, -0.5, 0.5)));
  block.bn1.runningVar.assign(tf.tensor(seededValues(128, 32, 0.2, 3)));
  const logitsAfterNewStatistics = tf.tidy(() => net.forward(images).dataSync() as Float32Array);
  images.dispose();
  net.dispose();
  return { logits, logitsAfterNewStatistics, kernels: profile.kernels.map((kernel) => kernel.name) };
}

function assertCloseLogits(actual: Float32Array, expected: Float32Array, label: string): void {
  const scale = Math.max(...expected.map(Math.abs));
  assert.ok(scale > 0, `${label}: the reference logits are all zero`);
  expected.forEach((value, index) => assert.ok(Math.abs(actual[index] - value) <= 1e-3 * scale, `${label} logit ${index}: ${actual[index]} vs cpu ${value}`));
}

for (const [surgery, size] of [["none", 48], ["cifar", 32]] as const) {
  test(`resnet18 (${surgery === "none" ? "ImageNet stem, max pool" : "CIFAR stem, maxpool = Identity"}) in eval mode: one trunk kernel on backend torch, the cpu backend's logits, before and after new running statistics`, async (t) => {
    if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
    const cpu = await run("cpu", surgery, size);
    const torch = await run("torch", surgery, size);
    await tf.setBackend("cpu");
    assert.equal(torch.kernels.filter((name) => name === "TorchResNetTrunkEval").length, 1, `kernels: ${[...new Set(torch.kernels)].join(", ")}`);
    assert.ok(!torch.kernels.includes("TorchConvBatchNormRelu") && !torch.kernels.includes("Conv2D") && !torch.kernels.includes("MaxPool"));
    assertCloseLogits(torch.logits, cpu.logits, "logits");
    assert.ok(cpu.logitsAfterNewStatistics.some((value, index) => Math.abs(value - cpu.logits[index]) > 1e-3), "the new statistics change the logits");
    assertCloseLogits(torch.logitsAfterNewStatistics, cpu.logitsAfterNewStatistics, "logits after new running statistics (a stale fold would keep the old ones)");
  });
}

test("the trunk kernel leaves no tensor behind, and steps aside under a tape, for summary()'s hooks and for a replaced module", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  const cpu = await run("cpu", "custom relu", 32);
  await tf.setBackend("torch");
  try {
    const net = model("none");
    const images = tf.tensor(seededValues(2 * 32 * 32 * 3, 21), [2, 32, 32, 3]);
    const tensors = tf.memory().numTensors;
    for (let call = 0; call < 3; call++) tf.dispose(net.forward(images));
    assert.equal(tf.memory().numTensors, tensors, "no tensor left behind");
    const memory = tf.memory() as tf.MemoryInfo & { liveNativeTensors: number; derivedNativeTensors: number };
    assert.equal(memory.liveNativeTensors, tf.engine().backend.numDataIds() + memory.derivedNativeTensors, "native tensors: TF.js buffers plus cached folds");

    const underTape = await tf.profile(() => void tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(net.forward(x)))(images)));
    assert.ok(!underTape.kernels.some((kernel) => kernel.name === "TorchResNetTrunkEval"), "no gradient exists for the trunk kernel");

    const hooked = await tf.profile(() => void summary(net, [1, 32, 32, 3]));
    assert.ok(!hooked.kernels.some((kernel) => kernel.name === "TorchResNetTrunkEval"), "summary() must see every module's forward");
    // A user's hook on one block (its forward wrapped on the instance) must run.
    const block = net.layer1[1];
    let hookCalls = 0;
    const original = block.forward.bind(block);
    block.forward = (x: tf.Tensor) => (hookCalls++, original(x));
    const withHook = await tf.profile(() => void tf.tidy(() => net.forward(images)));
    assert.equal(hookCalls, 1);
    assert.ok(!withHook.kernels.some((kernel) => kernel.name === "TorchResNetTrunkEval"));
    images.dispose();
    net.dispose();

    const replaced = await run("torch", "custom relu", 32);
    assert.ok(!replaced.kernels.includes("TorchResNetTrunkEval"), "a replaced module runs as it is");
    assertCloseLogits(replaced.logits, cpu.logits, "custom relu logits");
  } finally {
    await tf.setBackend("cpu");
  }
});
