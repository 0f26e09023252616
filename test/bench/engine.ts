/**
 * Backend "torch" vs PyTorch, measured in one run on this machine: CIFAR ResNet18 (3x3 stem, no maxpool,
 * batch 32, 32x32) training step (forward + backward + SGD momentum update, BatchNorm running stats
 * updated) and inference (BatchNorm on running stats), both with the same thread count, batch and
 * channels_last; then the per-kernel overhead of 10k small adds. Prints images/s and the ratios.
 *
 *   node --require ts-node/register/transpile-only test/bench/engine.ts
 *   BENCH_STEPS=10 BENCH_WARMUP=3 TORCH_ENGINE_THREADS=2 (defaults: 8, 3, all cores)
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { loadTorchBackend, torchEngineConfiguration } from "../../kernel-lib/engine";
import { cifarResNet18, OpsResNet } from "../engine/resnet-from-ops";

const batch = 32;
const steps = Number(process.env.BENCH_STEPS ?? 8);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const smallAdds = 10_000;

interface Speeds {
  trainImagesPerSecond: number;
  inferenceImagesPerSecond: number;
  addMicroseconds: number;
}

const pytorchScript = `
import json, sys, time, torch, torch.nn as nn, torchvision
threads, batch, steps, warmup, adds = map(int, sys.argv[1:6])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None, num_classes=10)
model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
model.maxpool = nn.Identity()
model = model.to(memory_format=torch.channels_last)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
images = torch.randn(batch, 3, 32, 32).contiguous(memory_format=torch.channels_last)
labels = torch.randint(0, 10, (batch,))
loss_fn = nn.CrossEntropyLoss()
def train_step():
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()
model.train()
for _ in range(warmup): train_step()
start = time.perf_counter()
for _ in range(steps): train_step()
train = batch * steps / (time.perf_counter() - start)
model.eval()
with torch.no_grad():
    for _ in range(warmup): model(images).sum().item()
    start = time.perf_counter()
    for _ in range(steps): model(images).sum().item()
    inference = batch * steps / (time.perf_counter() - start)
    a = torch.randn(4); b = torch.randn(4)
    for _ in range(1000): torch.add(a, b)
    start = time.perf_counter()
    for _ in range(adds): torch.add(a, b)
    add_us = (time.perf_counter() - start) / adds * 1e6
print(json.dumps({"trainImagesPerSecond": train, "inferenceImagesPerSecond": inference, "addMicroseconds": add_us, "torch": torch.__version__}))
`;

function measurePytorch(threads: number): Speeds & { torch: string } {
  const result = spawnSync("/usr/bin/python3", ["-c", pytorchScript, String(threads), String(batch), String(steps), String(warmup), String(smallAdds)], { encoding: "utf8", timeout: 600_000 });
  if (result.status !== 0) throw new Error(`PyTorch reference failed (needs /usr/bin/python3 with torch + torchvision):\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as Speeds & { torch: string };
}

function seconds(work: () => void): number {
  const start = performance.now();
  work();
  return (performance.now() - start) / 1000;
}

function measureTorchBackend(): Speeds & { tensorsAfterTraining: number; rssMiB: number } {
  const model = new OpsResNet(cifarResNet18, 0);
  const optimizer = tf.train.momentum(0.01, 0.9);
  const images = tf.randomNormal([batch, 32, 32, 3]) as tf.Tensor4D;
  const labels = tf.randomUniform([batch], 0, 10, "int32") as tf.Tensor1D;
  const trainStep = (): void => {
    const loss = optimizer.minimize(() => model.loss(images, labels), true);
    loss?.dataSync();
    loss?.dispose();
  };
  model.training = true;
  for (let step = 0; step < warmup; step++) trainStep();
  const trainSeconds = seconds(() => {
    for (let step = 0; step < steps; step++) trainStep();
  });
  const tensorsAfterTraining = tf.memory().numTensors;
  model.training = false;
  const inferenceStep = (): void => {
    tf.tidy(() => tf.sum(model.forward(images)).dataSync());
  };
  for (let step = 0; step < warmup; step++) inferenceStep();
  const inferenceSeconds = seconds(() => {
    for (let step = 0; step < steps; step++) inferenceStep();
  });
  const a = tf.randomNormal([4]);
  const b = tf.randomNormal([4]);
  const addOnce = (): void => tf.add(a, b).dispose();
  for (let index = 0; index < 1000; index++) addOnce();
  const addSeconds = seconds(() => {
    for (let index = 0; index < smallAdds; index++) addOnce();
  });
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  tf.dispose([a, b, images, labels]);
  optimizer.dispose();
  model.dispose();
  return {
    trainImagesPerSecond: (batch * steps) / trainSeconds,
    inferenceImagesPerSecond: (batch * steps) / inferenceSeconds,
    addMicroseconds: (addSeconds / smallAdds) * 1e6,
    tensorsAfterTraining,
    rssMiB,
  };
}

async function main(): Promise<void> {
  const status = loadTorchBackend();
  if (!status.available) {
    console.error(`backend torch unavailable: ${status.reason}\nfix: ${status.fix}`);
    process.exitCode = 1;
    return;
  }
  await tf.setBackend("torch");
  const configuration = torchEngineConfiguration();
  console.log(`backend torch on ${status.device} (${status.deviceName}), libtorch ${status.libtorchVersion}, ${configuration.threads} threads`);
  console.log(`CIFAR ResNet18, batch ${batch}, 32x32, ${warmup} warm-up + ${steps} timed steps each\n`);
  const pytorch = measurePytorch(configuration.threads);
  const ours = measureTorchBackend();
  const rows = [
    ["train step (img/s)", ours.trainImagesPerSecond, pytorch.trainImagesPerSecond, ours.trainImagesPerSecond / pytorch.trainImagesPerSecond],
    ["inference (img/s)", ours.inferenceImagesPerSecond, pytorch.inferenceImagesPerSecond, ours.inferenceImagesPerSecond / pytorch.inferenceImagesPerSecond],
    ["small add (µs/op)", ours.addMicroseconds, pytorch.addMicroseconds, pytorch.addMicroseconds / ours.addMicroseconds],
  ] as const;
  console.log(`${"".padEnd(20)}${"torch backend".padStart(15)}${`PyTorch ${pytorch.torch}`.padStart(18)}${"ratio".padStart(9)}`);
  for (const [label, mine, reference, ratio] of rows) {
    console.log(`${label.padEnd(20)}${mine.toFixed(1).padStart(15)}${reference.toFixed(1).padStart(18)}${`${ratio.toFixed(2)}x`.padStart(9)}`);
  }
  console.log(`\n(ratio > 1 means backend torch is faster; for the add it is PyTorch µs / ours µs.)`);
  console.log(`tf.memory().numTensors after training: ${ours.tensorsAfterTraining}; process RSS ${ours.rssMiB.toFixed(0)} MiB; cores ${os.availableParallelism()}`);
}

void main();
