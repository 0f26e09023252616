/**
 * Data pipeline throughput vs torchvision, measured in the same run on the same files and cores
 * (`npm run bench:data`). Prints images/s and ratios, and CPU time per image (which other load on a
 * shared machine disturbs far less than images/s); asserts nothing.
 *
 * 1. hymenoptera train: decode JPEG + RandomResizedCrop(224) + RandomHorizontalFlip + ToTensor +
 *    Normalize, batches of 32 (torchvision ImageFolder + DataLoader, num_workers 0 and 2); ours with
 *    the default decoder (the libjpeg-turbo addon where built) and, as a row, with sharp
 *    (LAB_JPEG_DECODER=sharp), the PIL-exact JavaScript crop, and the in-memory image cache;
 * 2. CIFAR-10 train batches of 128: RandomCrop(32, padding=4) + flip + ToTensor + Normalize from the
 *    binary records (torchvision side: the same records through PIL, as torchvision's CIFAR10 does).
 */
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { CIFAR10 } from "../../kernel-lib/data/cifar10";
import { loadTorchBackend } from "../../kernel-lib/engine";
import { DataLoader } from "../../kernel-lib/data/data-loader";
import { ImageFolder } from "../../kernel-lib/data/image-folder";
import { jpegDecoderChoice, nativeJpegStatus } from "../../kernel-lib/data/native-jpeg";
import { Compose, Normalize, RandomCrop, RandomHorizontalFlip, RandomResizedCrop, ToTensor } from "../../kernel-lib/data/transforms";

const SHARED = path.resolve(__dirname, "../../../shared/data");
const HYMENOPTERA_TRAIN = process.env.BENCH_IMAGE_FOLDER ?? path.join(SHARED, "hymenoptera_data/train");
const CIFAR_ROOT = process.env.BENCH_CIFAR_ROOT ?? path.join(SHARED, "cifar-10-batches-bin-subset");
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 4);

const PYTHON_BENCH = `
import sys, time, json, os, numpy as np, torch
from PIL import Image
import torchvision, torchvision.transforms as T
torch.set_num_threads(1)
folder, cifar_root, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
imagenet = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
class CifarBinary(torch.utils.data.Dataset):
    def __init__(self, root, transform):
        raw = np.concatenate([np.fromfile(os.path.join(root, f'data_batch_{i}.bin'), dtype=np.uint8) for i in range(1, 6)]).reshape(-1, 3073)
        self.targets = raw[:, 0].astype(np.int64)
        self.data = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        self.transform = transform
    def __len__(self): return len(self.targets)
    def __getitem__(self, i): return self.transform(Image.fromarray(self.data[i])), int(self.targets[i])
cpu = {}
def rate(name, dataset, batch_size, workers):
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers, persistent_workers=workers > 0)
    for _ in loader: pass  # warm-up epoch (starts workers, fills caches), as on our side
    start, start_cpu, n = time.perf_counter(), time.process_time(), 0
    for _ in range(epochs):
        for images, labels in loader: n += images.shape[0]
    # CPU time of this process only: complete for num_workers 0, not for worker processes.
    if workers == 0: cpu[name] = (time.process_time() - start_cpu) * 1000 / n
    return n / (time.perf_counter() - start)
hymenoptera = torchvision.datasets.ImageFolder(folder, T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), imagenet]))
cifar = CifarBinary(cifar_root, T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))]))
rates = {f'{name}_w{w}': rate(name, ds, bs, w) for name, ds, bs in [('hymenoptera', hymenoptera, 32), ('cifar', cifar, 128)] for w in (0, 2)}
print(json.dumps({**rates, **{f'{name}_cpu_ms': ms for name, ms in cpu.items()}}))
`;

interface Throughput {
  imagesPerSecond: number;
  /** CPU time of this process (all its threads: sharp's decoders too) per image: robust to other load. */
  cpuMsPerImage: number;
}

/** Steady-state throughput: one whole warm-up epoch first (on both sides), then `epochs` measured. */
async function throughput(loader: DataLoader, epochs: number): Promise<Throughput> {
  // Warm-up: JIT, sharp's thread pool, the file cache, the loader's batch buffers, cacheImages.
  for await (const batch of loader) tf.dispose(batch);
  const before = tf.memory().numTensors;
  const startCpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let images = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for await (const batch of loader) {
      images += batch[0].shape[0];
      tf.dispose(batch);
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(startCpu);
  if (tf.memory().numTensors !== before) throw new Error("bench: tensors leaked");
  return { imagesPerSecond: images / seconds, cpuMsPerImage: (cpu.user + cpu.system) / 1000 / images };
}

/** Runs `body` with LAB_JPEG_DECODER=sharp (read at every decode), restoring the previous setting. */
async function withSharpDecoder<T>(body: () => Promise<T>): Promise<T> {
  const previous = process.env.LAB_JPEG_DECODER;
  process.env.LAB_JPEG_DECODER = "sharp";
  try {
    return await body();
  } finally {
    if (previous === undefined) delete process.env.LAB_JPEG_DECODER;
    else process.env.LAB_JPEG_DECODER = previous;
  }
}

function average(a: Throughput, b: Throughput): Throughput {
  return { imagesPerSecond: (a.imagesPerSecond + b.imagesPerSecond) / 2, cpuMsPerImage: (a.cpuMsPerImage + b.cpuMsPerImage) / 2 };
}

async function main(): Promise<void> {
  // The backend the notebooks train on: batches are built in its staging memory, which the batch tensors
  // take over without a copy and the loader reuses once they are disposed; the cpu backend keeps each
  // batch's array as the tensor's storage, so there every batch is a new one.
  const torch = loadTorchBackend();
  await tf.setBackend(torch.available ? "torch" : "cpu");
  const imagenet = new Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
  const trainTransform = new Compose([new RandomResizedCrop(224), new RandomHorizontalFlip(), new ToTensor(), imagenet]);
  const hymenoptera = new ImageFolder(HYMENOPTERA_TRAIN, { transform: trainTransform });
  // The same pipeline with every file decoded by sharp (libvips), the decoder before the addon.
  const hymenopteraSharp = new ImageFolder(HYMENOPTERA_TRAIN, { transform: trainTransform });
  // The PIL-exact path: the crop and resize in JavaScript instead of inside libvips.
  const hymenopteraExact = new ImageFolder(HYMENOPTERA_TRAIN, { transform: trainTransform, fusedDecode: false });
  const hymenopteraCached = new ImageFolder(HYMENOPTERA_TRAIN, { transform: trainTransform, cacheImages: true });
  const cifar = await CIFAR10({
    root: CIFAR_ROOT,
    train: true,
    transform: new Compose([new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip(), new ToTensor(), new Normalize([0.4914, 0.4822, 0.4465], [0.247, 0.2435, 0.2616])]),
  });
  const measureOurs = async (): Promise<Record<"hymenoptera" | "hymenopteraSharp" | "hymenopteraExact" | "hymenopteraCached" | "cifar", Throughput>> => ({
    hymenoptera: await throughput(new DataLoader(hymenoptera, { batchSize: 32, shuffle: true, seed: 0 }), EPOCHS),
    hymenopteraSharp: await withSharpDecoder(() => throughput(new DataLoader(hymenopteraSharp, { batchSize: 32, shuffle: true, seed: 0 }), EPOCHS)),
    hymenopteraExact: await throughput(new DataLoader(hymenopteraExact, { batchSize: 32, shuffle: true, seed: 0 }), EPOCHS),
    hymenopteraCached: await throughput(new DataLoader(hymenopteraCached, { batchSize: 32, shuffle: true, seed: 0 }), EPOCHS),
    cifar: await throughput(new DataLoader(cifar, { batchSize: 128, shuffle: true, seed: 0 }), EPOCHS),
  });
  // Ours is measured before and after torchvision and averaged, so a change in the load of a
  // shared machine biases both sides alike.
  const before = await measureOurs();
  const python = spawnSync("/usr/bin/python3", ["-c", PYTHON_BENCH, HYMENOPTERA_TRAIN, CIFAR_ROOT, String(EPOCHS)], { encoding: "utf8" });
  const after = await measureOurs();
  const ours = {
    hymenoptera: average(before.hymenoptera, after.hymenoptera),
    hymenopteraSharp: average(before.hymenopteraSharp, after.hymenopteraSharp),
    hymenopteraExact: average(before.hymenopteraExact, after.hymenopteraExact),
    hymenopteraCached: average(before.hymenopteraCached, after.hymenopteraCached),
    cifar: average(before.cifar, after.cifar),
  };
  const os = await import("node:os");
  console.log(`data pipeline throughput (images/s), ${EPOCHS} epochs after a warm-up epoch, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}, TF.js backend ${tf.getBackend()}`);
  console.log(`  hymenoptera train (${hymenoptera.length} JPEGs): decode + RandomResizedCrop 224 + flip + normalize, batch 32`);
  const decoder = nativeJpegStatus();
  console.log(
    `  JPEG decoder (LAB_JPEG_DECODER=${jpegDecoderChoice()}): ` +
      (decoder.available && jpegDecoderChoice() !== "sharp" ? `libjpeg-turbo ${decoder.libjpegTurboVersion} addon, crop decoded and resized in it` : `sharp (${decoder.available ? "chosen" : decoder.reason})`),
  );
  console.log(`  (sharp): LAB_JPEG_DECODER=sharp, libvips decodes, crops and resizes; (JS crop): fusedDecode false, the PIL-exact path;`);
  console.log(`  (cached): cacheImages true, epochs after the first (decoding once per run)`);
  console.log(`  CIFAR-10 train (${cifar.length} records): RandomCrop 32 pad 4 + flip + normalize, batch 128`);
  if (python.status !== 0) {
    console.log(`  ours: hymenoptera ${ours.hymenoptera.imagesPerSecond.toFixed(0)} (JS crop ${ours.hymenopteraExact.imagesPerSecond.toFixed(0)}), cifar ${ours.cifar.imagesPerSecond.toFixed(0)}`);
    console.log(`  torchvision reference FAILED (is python3-torchvision installed?):\n${python.stderr}`);
    process.exitCode = 1;
    return;
  }
  const reference = JSON.parse(python.stdout.trim().split("\n").pop() ?? "{}") as Record<string, number>;
  const rows: [string, Throughput, number, number, number][] = [
    ["hymenoptera", ours.hymenoptera, reference.hymenoptera_w0, reference.hymenoptera_w2, reference.hymenoptera_cpu_ms],
    ["  (sharp)", ours.hymenopteraSharp, reference.hymenoptera_w0, reference.hymenoptera_w2, reference.hymenoptera_cpu_ms],
    ["  (JS crop)", ours.hymenopteraExact, reference.hymenoptera_w0, reference.hymenoptera_w2, reference.hymenoptera_cpu_ms],
    ["  (cached)", ours.hymenopteraCached, reference.hymenoptera_w0, reference.hymenoptera_w2, reference.hymenoptera_cpu_ms],
    ["cifar", ours.cifar, reference.cifar_w0, reference.cifar_w2, reference.cifar_cpu_ms],
  ];
  console.log(`  images/s (wall clock; on a busy machine this mostly measures the load):`);
  console.log(`  ${"pipeline".padEnd(12)} ${"ours".padStart(8)} ${"tv w=0".padStart(8)} ${"tv w=2".padStart(8)} ${"ours/w0".padStart(8)} ${"ours/w2".padStart(8)}`);
  for (const [name, mine, w0, w2] of rows) {
    const rate = mine.imagesPerSecond;
    console.log(
      `  ${name.padEnd(12)} ${rate.toFixed(0).padStart(8)} ${w0.toFixed(0).padStart(8)} ${w2.toFixed(0).padStart(8)} ${(rate / w0).toFixed(2).padStart(8)}x ${(rate / w2).toFixed(2).padStart(7)}x`,
    );
  }
  console.log(`  CPU ms per image (all threads of the process; tv: num_workers 0), lower is better:`);
  console.log(`  ${"pipeline".padEnd(12)} ${"ours".padStart(8)} ${"tv w=0".padStart(8)} ${"tv/ours".padStart(8)}`);
  for (const [name, mine, , , tvCpu] of rows) {
    const ms = mine.cpuMsPerImage;
    console.log(`  ${name.padEnd(12)} ${ms.toFixed(3).padStart(8)} ${tvCpu.toFixed(3).padStart(8)} ${(tvCpu / ms).toFixed(2).padStart(7)}x`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
