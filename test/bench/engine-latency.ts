/**
 * Batch-1 ResNet18 inference latency (not a test): backend "torch" vs PyTorch in one run, for the CIFAR
 * stem (3x3, no maxpool, 32x32) and the ImageNet stem (7x7 + maxpool, 224x224). Each call includes
 * reading the logits back (`dataSync()` / `.numpy()`), as a prediction does. Engines alternate round by
 * round on this shared machine; every call's time is kept and the table shows median, p90 and best.
 *
 * It also splits our time into per-kernel dispatch (kernels per forward x the cost of one tiny kernel)
 * and the rest, which is what tells "per-call overhead" apart from "slow convolutions".
 *
 *   node --require ts-node/register/transpile-only test/bench/engine-latency.ts
 *   LATENCY_CALLS=20 LATENCY_ROUNDS=3 TORCH_ENGINE_THREADS=<cores>  (defaults shown)
 */
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { torchEngineConfiguration } from "../../kernel-lib/engine";
import { useTorchBackendOrExit } from "./torch-backend-or-exit";
import { openMpPolicies } from "./openmp-policies";
import { Conv2d } from "../../kernel-lib/models/conv2d";
import { Identity } from "../../kernel-lib/models/identity";
import { resnet18 } from "../../kernel-lib/models/resnet-factory";
import type { ResNet } from "../../kernel-lib/models/resnet";

const calls = Number(process.env.LATENCY_CALLS ?? 20);
const rounds = Number(process.env.LATENCY_ROUNDS ?? 3);
const warmup = 3;

type Stem = "cifar" | "imagenet";
const sizes: Record<Stem, number> = { cifar: 32, imagenet: 224 };

// One persistent PyTorch process; a line "<stem> <calls>" answers with that many per-call times in ms.
// Both the default (contiguous) layout and channels_last are timed: oneDNN's speed differs between them.
const pytorchScript = `
import json, sys, time, torch, torch.nn as nn, torchvision
torch.set_num_threads(int(sys.argv[1]))
models, inputs = {}, {}
def build(stem):
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=10 if stem == "cifar" else 1000)
    if stem == "cifar":
        model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        model.maxpool = nn.Identity()
    return model.eval()
for stem, size in (("cifar", 32), ("imagenet", 224)):
    x = torch.randn(1, 3, size, size)
    models[stem + "/contiguous"], inputs[stem + "/contiguous"] = build(stem), x
    models[stem + "/channels_last"] = build(stem).to(memory_format=torch.channels_last)
    inputs[stem + "/channels_last"] = x.contiguous(memory_format=torch.channels_last)
def once(key):
    start = time.perf_counter()
    with torch.no_grad():
        models[key](inputs[key]).numpy()
    return (time.perf_counter() - start) * 1000
for key in models:
    for _ in range(${warmup}): once(key)
print(json.dumps({"ready": torch.__version__}), flush=True)
for line in sys.stdin:
    key, count = line.split()
    print(json.dumps({"value": [once(key) for _ in range(int(count))]}), flush=True)
`;

class PytorchReference {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterableIterator<string>;
  version = "";

  constructor(threads: number) {
    this.child = spawn("/usr/bin/python3", ["-c", pytorchScript, String(threads)]);
    this.child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  private async next(): Promise<{ ready?: string; value?: number[] }> {
    const line = await this.lines.next();
    if (line.done) throw new Error("the PyTorch reference exited: /usr/bin/python3 needs torch and torchvision (apt-get install python3-torch python3-torchvision)");
    return JSON.parse(line.value) as { ready?: string; value?: number[] };
  }

  async ready(): Promise<void> {
    this.version = (await this.next()).ready ?? "?";
  }

  async times(key: string, count: number): Promise<number[]> {
    this.child.stdin.write(`${key} ${count}\n`);
    return (await this.next()).value ?? [];
  }

  close(): void {
    this.child.stdin.end();
  }
}

function buildModel(stem: Stem): ResNet {
  if (stem === "imagenet") return resnet18({ numClasses: 1000 });
  const model = resnet18({ numClasses: 10 });
  model.conv1.dispose(); // the ImageNet stem
  model.conv1 = new Conv2d(3, 64, 3, { stride: 1, padding: 1, bias: false });
  model.maxpool = new Identity();
  return model;
}

function oneCall(model: ResNet, image: tf.Tensor4D): number {
  const start = performance.now();
  tf.tidy(() => void model.forward(image).dataSync());
  return performance.now() - start;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** µs per tiny kernel on backend torch (the dispatch floor every kernel pays). */
function tinyKernelMicroseconds(): number {
  const a = tf.ones([4]);
  const b = tf.ones([4]);
  for (let i = 0; i < 1000; i++) tf.add(a, b).dispose();
  const count = 10_000;
  const start = performance.now();
  for (let i = 0; i < count; i++) tf.add(a, b).dispose();
  const micros = ((performance.now() - start) / count) * 1000;
  tf.dispose([a, b]);
  return micros;
}

async function kernelsPerForward(model: ResNet, image: tf.Tensor4D): Promise<number> {
  const profile = await tf.profile(() => tf.tidy(() => void model.forward(image).dataSync()));
  return profile.kernels.length;
}

async function main(): Promise<void> {
  const status = await useTorchBackendOrExit();
  if (!status) return;
  const threads = torchEngineConfiguration().threads;
  const pytorch = new PytorchReference(threads);
  await pytorch.ready();
  console.log(`batch-1 ResNet18 inference latency; backend torch on ${status.deviceName}, ${threads} threads; PyTorch ${pytorch.version}; ` +
    `${rounds} alternating rounds of ${calls} calls; load average ${os.loadavg().map((value) => value.toFixed(2)).join(" ")}`);
  console.log(openMpPolicies());
  const tinyMicros = tinyKernelMicroseconds();
  const rows: string[] = [];
  for (const stem of ["cifar", "imagenet"] as const) {
    const model = buildModel(stem).eval();
    const image = tf.randomNormal([1, sizes[stem], sizes[stem], 3], 0, 1, "float32", 7) as tf.Tensor4D;
    for (let i = 0; i < warmup; i++) oneCall(model, image);
    const kernels = await kernelsPerForward(model, image);
    const tensorsBefore = tf.memory().numTensors;
    const ours: number[] = [];
    const contiguous: number[] = [];
    const channelsLast: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < calls; i++) ours.push(oneCall(model, image));
      contiguous.push(...(await pytorch.times(`${stem}/contiguous`, calls)));
      channelsLast.push(...(await pytorch.times(`${stem}/channels_last`, calls)));
    }
    if (tf.memory().numTensors !== tensorsBefore) throw new Error(`${stem}: ${tf.memory().numTensors - tensorsBefore} tensors leaked per run`);
    const cell = (times: number[]) => `${quantile(times, 0.5).toFixed(1).padStart(8)} ${quantile(times, 0.9).toFixed(1).padStart(8)} ${Math.min(...times).toFixed(1).padStart(8)}`;
    const dispatchMs = (kernels * tinyMicros) / 1000;
    rows.push(`${`${stem} ${sizes[stem]}x${sizes[stem]}`.padEnd(16)} ${"torch backend".padEnd(22)} ${cell(ours)}   ${kernels} kernels, dispatch ≈ ${dispatchMs.toFixed(2)} ms`);
    rows.push(`${"".padEnd(16)} ${"PyTorch contiguous".padEnd(22)} ${cell(contiguous)}`);
    rows.push(`${"".padEnd(16)} ${"PyTorch channels_last".padEnd(22)} ${cell(channelsLast)}`);
    rows.push(`${"".padEnd(16)} ${"ratio (median)".padEnd(22)} ${`${(Math.min(quantile(contiguous, 0.5), quantile(channelsLast, 0.5)) / quantile(ours, 0.5)).toFixed(2)}x`.padStart(8)}   (best PyTorch layout / ours; > 1: ours faster)`);
    tf.dispose(image);
    model.dispose();
  }
  pytorch.close();
  console.log(`\n${"model".padEnd(16)} ${"engine".padEnd(22)} ${"median".padStart(8)} ${"p90".padStart(8)} ${"best".padStart(8)}   (ms per call)`);
  for (const row of rows) console.log(row);
  console.log(`\ntiny kernel (add of 4 floats) on backend torch: ${tinyMicros.toFixed(1)} µs; load average now ${os.loadavg().map((value) => value.toFixed(2)).join(" ")}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
