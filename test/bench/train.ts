/**
 * Training-toolkit benchmark (not a test): images/s of a CIFAR ResNet18 (3x3 stem, no maxpool, 32x32,
 * kernel-lib/models) training step through kernel-lib/train's `trainStep` (forward, cross-entropy,
 * backward, SGD momentum + weight decay, BatchNorm running stats) and of inference, for every available
 * TF.js backend, next to PyTorch (/usr/bin/python3) measured in the same run with the same threads and
 * batch. Engines take turns, round by round, and each keeps its best round (the machine is shared).
 *
 *   node --require ts-node/register/transpile-only test/bench/train.ts
 *   BENCH_BACKENDS=torch,wasm,cpu  BENCH_ROUNDS=2  (defaults shown)
 *
 * The cpu backend (pure JS) is far too slow for real sizes: it is measured with one tiny step (batch 2),
 * wasm with batch 8 for training; PyTorch is then measured at those same batch sizes.
 */
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { Generator } from "../../kernel-lib/data/generator";
import { loadTorchBackend, torchEngineConfiguration } from "../../kernel-lib/engine";
import { openMpPolicies } from "./openmp-policies";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { Conv2d } from "../../kernel-lib/models/conv2d";
import { Identity } from "../../kernel-lib/models/identity";
import { resnet18 } from "../../kernel-lib/models/resnet-factory";
import type { ResNet } from "../../kernel-lib/models/resnet";
import { SGD } from "../../kernel-lib/train/sgd";
import { trainStep } from "../../kernel-lib/train/train-step";

type BackendName = "torch" | "wasm" | "cpu";

interface Plan {
  threads: number;
  trainBatch: number;
  trainSteps: number;
  inferBatch: number;
  inferSteps: number;
  warmup: number;
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const requested = (process.env.BENCH_BACKENDS ?? "torch,wasm,cpu").split(",").map((name) => name.trim()) as BackendName[];

// One persistent PyTorch process answers "train|infer threads batch steps warmup" lines, so both sides
// can alternate; the model is the torchvision ResNet18 with the same CIFAR stem.
const pytorchScript = `
import json, sys, time, torch, torch.nn as nn, torchvision
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None, num_classes=10)
model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
model.maxpool = nn.Identity()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
loss_fn = nn.CrossEntropyLoss()
def run(what, threads, batch, steps, warmup):
    torch.set_num_threads(threads)
    images = torch.randn(batch, 3, 32, 32)
    labels = torch.randint(0, 10, (batch,))
    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        loss.item()
    def infer_step():
        with torch.no_grad():
            model(images).sum().item()
    step = train_step if what == "train" else infer_step
    model.train(what == "train")
    for _ in range(warmup): step()
    start = time.perf_counter()
    for _ in range(steps): step()
    return batch * steps / (time.perf_counter() - start)
print(json.dumps({"ready": torch.__version__}), flush=True)
for line in sys.stdin:
    what, *numbers = line.split()
    print(json.dumps({"value": run(what, *map(int, numbers))}), flush=True)
`;

class PytorchReference {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterableIterator<string>;
  version = "";

  constructor() {
    this.child = spawn("/usr/bin/python3", ["-c", pytorchScript]);
    this.child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  private async next(): Promise<{ ready?: string; value?: number }> {
    const line = await this.lines.next();
    if (line.done) throw new Error("the PyTorch reference exited: /usr/bin/python3 needs torch and torchvision (apt-get install python3-torch python3-torchvision)");
    return JSON.parse(line.value) as { ready?: string; value?: number };
  }

  async ready(): Promise<void> {
    this.version = (await this.next()).ready ?? "?";
  }

  async measure(what: "train" | "infer", threads: number, batch: number, steps: number, warmup: number): Promise<number> {
    this.child.stdin.write(`${what} ${threads} ${batch} ${steps} ${warmup}\n`);
    return (await this.next()).value ?? NaN;
  }

  close(): void {
    this.child.stdin.end();
  }
}

function cifarResNet18(): ResNet {
  const model = resnet18({ numClasses: 10, generator: new Generator(0) });
  model.conv1.dispose(); // the ImageNet stem
  model.conv1 = new Conv2d(3, 64, 3, { stride: 1, padding: 1, bias: false, init: "kaimingNormalFanOut", generator: new Generator(1) });
  model.maxpool = new Identity();
  return model;
}

/** Our side on the active backend: the model and optimizer live there. */
class Workload {
  private readonly model = cifarResNet18();
  private readonly optimizer = new SGD(this.model.namedParameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });

  measure(what: "train" | "infer", batch: number, steps: number, warmup: number): number {
    const images = tf.randomNormal([batch, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const labels = tf.randomUniform([batch], 0, 10, "int32", 2) as tf.Tensor1D;
    const step =
      what === "train"
        ? () => void trainStep(this.model.train(), this.optimizer, images, labels)
        : () => tf.tidy(() => void tf.sum(this.model.eval().forward(images)).dataSync());
    for (let i = 0; i < warmup; i++) step();
    const start = performance.now();
    for (let i = 0; i < steps; i++) step();
    const imagesPerSecond = (batch * steps) / ((performance.now() - start) / 1000);
    tf.dispose([images, labels]);
    return imagesPerSecond;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

async function activate(backend: BackendName): Promise<Plan | string> {
  if (backend === "torch") {
    const status = loadTorchBackend();
    if (!status.available) return `unavailable: ${status.reason}`;
    await tf.setBackend("torch");
    return { threads: torchEngineConfiguration().threads, trainBatch: 32, trainSteps: 4, inferBatch: 32, inferSteps: 8, warmup: 2 };
  }
  if (backend === "wasm") {
    if (!(await useWasmBackend())) return "unavailable: tf.setBackend('wasm') failed";
    // Single-threaded in Node (see kernel-lib/env/wasm-backend.ts).
    return { threads: 1, trainBatch: 8, trainSteps: 1, inferBatch: 32, inferSteps: 2, warmup: 1 };
  }
  await tf.setBackend("cpu");
  return { threads: 1, trainBatch: 2, trainSteps: 1, inferBatch: 2, inferSteps: 1, warmup: 0 };
}

async function main(): Promise<void> {
  const pytorch = new PytorchReference();
  await pytorch.ready();
  console.log(`CIFAR ResNet18 (32x32, 10 classes); PyTorch ${pytorch.version}; ${os.cpus().length} cores; load average ${os.loadavg()[0].toFixed(2)}; best of ${rounds} alternating rounds`);
  console.log(openMpPolicies());
  const rows: string[] = [];
  for (const backend of requested) {
    const plan = await activate(backend);
    if (typeof plan === "string") {
      rows.push(`${backend.padEnd(6)} ${plan}`);
      console.log(`backend ${backend}: ${plan}`);
      continue;
    }
    const workload = new Workload();
    const best = { train: 0, infer: 0, pytorchTrain: 0, pytorchInfer: 0 };
    for (let round = 0; round < rounds; round++) {
      const train = workload.measure("train", plan.trainBatch, plan.trainSteps, round === 0 ? plan.warmup : 0);
      const pytorchTrain = await pytorch.measure("train", plan.threads, plan.trainBatch, Math.max(plan.trainSteps, 4), 2);
      const infer = workload.measure("infer", plan.inferBatch, plan.inferSteps, round === 0 ? plan.warmup : 0);
      const pytorchInfer = await pytorch.measure("infer", plan.threads, plan.inferBatch, Math.max(plan.inferSteps, 4), 2);
      best.train = Math.max(best.train, train);
      best.infer = Math.max(best.infer, infer);
      best.pytorchTrain = Math.max(best.pytorchTrain, pytorchTrain);
      best.pytorchInfer = Math.max(best.pytorchInfer, pytorchInfer);
      console.log(`backend ${backend} round ${round + 1}: train ${train.toFixed(2)} img/s (PyTorch ${pytorchTrain.toFixed(1)}), inference ${infer.toFixed(2)} img/s (PyTorch ${pytorchInfer.toFixed(1)})`);
      if (backend === "cpu") break;
    }
    const tensors = tf.memory().numTensors;
    workload.dispose();
    const cell = (ours: number, reference: number, batch: number) =>
      `${ours.toFixed(2).padStart(9)} ${reference.toFixed(1).padStart(9)} ${`${(ours / reference).toFixed(3)}x`.padStart(8)} ${String(batch).padStart(5)}`;
    rows.push(`${backend.padEnd(6)} ${String(plan.threads).padStart(7)} | ${cell(best.train, best.pytorchTrain, plan.trainBatch)} | ${cell(best.infer, best.pytorchInfer, plan.inferBatch)}   (${tensors} tensors live)`);
  }
  pytorch.close();
  console.log(`\n${"".padEnd(14)} | ${"train step img/s".padEnd(36)} | inference img/s`);
  console.log(`${"backend".padEnd(6)} ${"threads".padStart(7)} | ${"ours".padStart(9)} ${"PyTorch".padStart(9)} ${"ratio".padStart(8)} ${"batch".padStart(5)} | ${"ours".padStart(9)} ${"PyTorch".padStart(9)} ${"ratio".padStart(8)} ${"batch".padStart(5)}`);
  for (const row of rows) console.log(row);
  console.log(`\nratio = ours / PyTorch at the same threads and batch (> 1: ours faster). Load average now ${os.loadavg()[0].toFixed(2)}.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
