/**
 * Backend "torch" vs PyTorch, measured in one run on this machine: CIFAR ResNet18 (3x3 stem, no maxpool,
 * batch 32, 32x32) training step (kernel-lib trainStep + SGD momentum, as fit() runs it; BatchNorm running stats
 * updated) and inference (BatchNorm on running stats), both with the same thread count, batch and
 * channels_last; then the per-kernel overhead of 10k small adds. Prints images/s and the ratios.
 *
 *   node --require ts-node/register/transpile-only test/bench/engine.ts
 *   BENCH_STEPS=8 BENCH_WARMUP=3 BENCH_ROUNDS=3 TORCH_ENGINE_THREADS=2 (defaults shown; threads: all cores)
 *   BENCH_MODEL=ops uses test/engine's ops-only ResNet instead of kernel-lib/models' resnet18.
 */
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { torchEngineConfiguration } from "../../kernel-lib/engine";
import { useTorchBackendOrExit } from "./torch-backend-or-exit";
import { openMpPolicies } from "./openmp-policies";
import { Conv2d, Identity, resnet18 } from "../../kernel-lib/models";
import { SGD } from "../../kernel-lib/train/sgd";
import { trainStep } from "../../kernel-lib/train/train-step";
import { cifarResNet18, OpsResNet } from "../engine/resnet-from-ops";

const batch = 32;
const steps = Number(process.env.BENCH_STEPS ?? 8);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const smallAdds = 10_000;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
/** "models" (kernel-lib/models' resnet18, default) or "ops" (test/engine's ResNet written in plain ops). */
const modelSource = process.env.BENCH_MODEL === "ops" ? "ops" : "models";

// A persistent PyTorch process that runs one measurement per line on stdin, so the two engines can take
// turns: on a shared machine, alternating rounds and keeping each side's best round is what makes the
// ratio mean something.
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
def timed(step):
    start = time.perf_counter()
    for _ in range(steps): step()
    return batch * steps / (time.perf_counter() - start)
def train():
    model.train()
    return timed(train_step)
def infer():
    model.eval()
    with torch.no_grad():
        return timed(lambda: model(images).sum().item())
def add():
    a = torch.randn(4); b = torch.randn(4)
    start = time.perf_counter()
    for _ in range(adds): torch.add(a, b)
    return (time.perf_counter() - start) / adds * 1e6
model.train()
for _ in range(warmup): train_step()
model.eval()
with torch.no_grad():
    for _ in range(warmup): model(images).sum().item()
print(json.dumps({"ready": torch.__version__}), flush=True)
for line in sys.stdin:
    print(json.dumps({"value": {"train": train, "infer": infer, "add": add}[line.strip()]()}), flush=True)
`;

type Measurement = "train" | "infer" | "add";

class PytorchReference {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterableIterator<string>;
  version = "";

  constructor(threads: number) {
    this.child = spawn("/usr/bin/python3", ["-c", pytorchScript, String(threads), String(batch), String(steps), String(warmup), String(smallAdds)]);
    this.child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  private async nextJson(): Promise<{ ready?: string; value?: number }> {
    const next = await this.lines.next();
    if (next.done) throw new Error("the PyTorch reference exited (needs /usr/bin/python3 with torch + torchvision; see stderr above)");
    return JSON.parse(next.value) as { ready?: string; value?: number };
  }

  async ready(): Promise<void> {
    this.version = (await this.nextJson()).ready ?? "?";
  }

  async measure(what: Measurement): Promise<number> {
    this.child.stdin.write(`${what}\n`);
    return (await this.nextJson()).value ?? NaN;
  }

  close(): void {
    this.child.stdin.end();
  }
}

function seconds(work: () => void): number {
  const start = performance.now();
  work();
  return (performance.now() - start) / 1000;
}

/** The network under test: kernel-lib/models' resnet18 with PyTorch's CIFAR stem, or the ops-only copy. */
interface BenchModel {
  setTraining(training: boolean): void;
  forward(images: tf.Tensor4D): tf.Tensor;
  /** One training step (forward, backward, SGD momentum 0.9 at lr 0.01, as the PyTorch side). */
  trainStep(images: tf.Tensor4D, labels: tf.Tensor1D): void;
  dispose(): void;
}

function cifarModelsResNet18(): BenchModel {
  const model = resnet18({ numClasses: 10 });
  // As the PyTorch reference: 3x3 stride-1 stem, no maxpool.
  model.conv1.dispose(); // the ImageNet stem
  model.conv1 = new Conv2d(3, 64, 3, { stride: 1, padding: 1, bias: false, init: "kaimingNormalFanOut" });
  model.maxpool = new Identity();
  // kernel-lib/train's SGD and trainStep: what fit() and the notebooks run.
  const optimizer = new SGD(model.namedParameters(), { lr: 0.01, momentum: 0.9 });
  return {
    setTraining: (training) => model.train(training),
    forward: (images) => model.forward(images),
    trainStep: (images, labels) => {
      model.train(true);
      trainStep(model, optimizer, images, labels);
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

function opsResNet18(): BenchModel {
  const model = new OpsResNet(cifarResNet18, 0);
  const optimizer = tf.train.momentum(0.01, 0.9);
  return {
    setTraining: (training) => {
      model.training = training;
    },
    forward: (images) => model.forward(images),
    trainStep: (images, labels) => {
      model.training = true;
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 10), model.forward(images)) as tf.Scalar, true);
      loss?.dataSync();
      loss?.dispose();
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** The same workloads on backend "torch", after the same warm-up. */
class TorchBackendWorkload {
  private readonly model = modelSource === "ops" ? opsResNet18() : cifarModelsResNet18();
  private readonly images = tf.randomNormal([batch, 32, 32, 3]) as tf.Tensor4D;
  private readonly labels = tf.randomUniform([batch], 0, 10, "int32") as tf.Tensor1D;
  private readonly a = tf.randomNormal([4]);
  private readonly b = tf.randomNormal([4]);

  constructor() {
    for (let step = 0; step < warmup; step++) this.trainStep();
    for (let step = 0; step < warmup; step++) this.inferenceStep();
  }

  private trainStep(): void {
    this.model.trainStep(this.images, this.labels);
  }

  private inferenceStep(): void {
    this.model.setTraining(false);
    tf.tidy(() => tf.sum(this.model.forward(this.images)).dataSync());
  }

  measure(what: Measurement): number {
    if (what === "add") {
      const addSeconds = seconds(() => {
        for (let index = 0; index < smallAdds; index++) tf.add(this.a, this.b).dispose();
      });
      return (addSeconds / smallAdds) * 1e6;
    }
    const step = what === "train" ? () => this.trainStep() : () => this.inferenceStep();
    return (batch * steps) / seconds(() => {
      for (let index = 0; index < steps; index++) step();
    });
  }

  dispose(): void {
    tf.dispose([this.a, this.b, this.images, this.labels]);
    this.model.dispose();
  }
}

async function main(): Promise<void> {
  const status = await useTorchBackendOrExit();
  if (!status) return;
  const configuration = torchEngineConfiguration();
  console.log(`backend torch on ${status.device} (${status.deviceName}), libtorch ${status.libtorchVersion}, ${configuration.threads} threads; load average ${os.loadavg()[0].toFixed(2)}`);
  console.log(openMpPolicies());
  console.log(`CIFAR ResNet18 (${modelSource === "ops" ? "test/engine ops ResNet" : "kernel-lib/models resnet18"}), batch ${batch}, 32x32; ${warmup} warm-up steps, then ${rounds} alternating rounds of ${steps} steps per engine (best round kept)\n`);
  const pytorch = new PytorchReference(configuration.threads);
  await pytorch.ready();
  const ours = new TorchBackendWorkload();
  const best = { ours: { train: 0, infer: 0, add: Infinity }, pytorch: { train: 0, infer: 0, add: Infinity } };
  for (let round = 0; round < rounds; round++) {
    for (const what of ["train", "infer", "add"] as const) {
      const reference = await pytorch.measure(what);
      const mine = ours.measure(what);
      const keep = what === "add" ? Math.min : Math.max;
      best.pytorch[what] = keep(best.pytorch[what], reference);
      best.ours[what] = keep(best.ours[what], mine);
      console.log(`round ${round + 1} ${what.padEnd(6)} torch backend ${mine.toFixed(1).padStart(7)}  PyTorch ${reference.toFixed(1).padStart(7)}`);
    }
  }
  pytorch.close();
  const tensorsAfterTraining = tf.memory().numTensors;
  ours.dispose();
  const rows = [
    ["train step (img/s)", best.ours.train, best.pytorch.train, best.ours.train / best.pytorch.train],
    ["inference (img/s)", best.ours.infer, best.pytorch.infer, best.ours.infer / best.pytorch.infer],
    ["small add (µs/op)", best.ours.add, best.pytorch.add, best.pytorch.add / best.ours.add],
  ] as const;
  console.log(`\n${"best rounds".padEnd(20)}${"torch backend".padStart(15)}${`PyTorch ${pytorch.version}`.padStart(18)}${"ratio".padStart(9)}`);
  for (const [label, mine, reference, ratio] of rows) {
    console.log(`${label.padEnd(20)}${mine.toFixed(1).padStart(15)}${reference.toFixed(1).padStart(18)}${`${ratio.toFixed(2)}x`.padStart(9)}`);
  }
  console.log(`\n(ratio > 1: backend torch faster; for the add it is PyTorch µs / ours µs.)`);
  console.log(`tf.memory().numTensors with the model alive: ${tensorsAfterTraining}; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; load average ${os.loadavg()[0].toFixed(2)}`);
}

void main();
