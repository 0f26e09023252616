import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { CIFAR10 } from "../../kernel-lib/data/cifar10";
import { startLocalServer, type LocalServer } from "./local-server";
import { tarHeader } from "./tar-fixtures";

const SHARED = path.resolve(__dirname, "../../../shared/data");
const SUBSET = path.join(SHARED, "cifar-10-batches-bin-subset");
const RECORDS_PER_FILE = 1017;
let work: string;
let server: LocalServer;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "cifar-test-"));
  server = await startLocalServer();
});
after(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Pixel (y, x, channel) of record `index` read straight from the official CHW layout. */
function officialPixel(file: Buffer, index: number, y: number, x: number, channel: number): number {
  return file[index * 3073 + 1 + channel * 1024 + y * 32 + x];
}

/** A small extracted tree with the first `records` records of every file, as the archive holds it. */
function writeSmallBinaryTree(root: string, records: number, mutate?: (name: string, bytes: Buffer) => Buffer): void {
  const folder = path.join(root, "cifar-10-batches-bin");
  fs.mkdirSync(folder, { recursive: true });
  for (const name of ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"]) {
    let bytes: Buffer = fs.readFileSync(path.join(SUBSET, name)).subarray(0, records * 3073);
    if (mutate) bytes = mutate(name, Buffer.from(bytes));
    fs.writeFileSync(path.join(folder, name), bytes);
  }
  fs.copyFileSync(path.join(SUBSET, "batches.meta.txt"), path.join(folder, "batches.meta.txt"));
}

test("reads the official binary subset byte-exactly, with the official labels and class names", async () => {
  const train = await CIFAR10({ root: SUBSET, train: true });
  const testSplit = await CIFAR10({ root: SUBSET, train: false });
  assert.equal(train.length, 5 * RECORDS_PER_FILE);
  assert.equal(testSplit.length, RECORDS_PER_FILE);
  assert.deepEqual(train.classes, ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]);
  const trainLabels = fs.readFileSync(path.join(SHARED, "cifar10-labels/train_labels.u8"));
  const testLabels = fs.readFileSync(path.join(SHARED, "cifar10-labels/test_labels.u8"));
  for (let batch = 0; batch < 5; batch++) {
    for (let i = 0; i < RECORDS_PER_FILE; i++) {
      assert.equal(train.targets[batch * RECORDS_PER_FILE + i], trainLabels[batch * 10000 + i]);
    }
  }
  assert.deepEqual(Array.from(testSplit.targets), Array.from(testLabels.subarray(0, RECORDS_PER_FILE)));
  const batch3 = fs.readFileSync(path.join(SUBSET, "data_batch_3.bin"));
  for (const index of [0, 17, 1016]) {
    const [image, label] = await train.getItem(2 * RECORDS_PER_FILE + index);
    assert.deepEqual(image.shape, [32, 32, 3]);
    assert.equal(label, batch3[index * 3073]);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) assert.equal(image.data[(y * 32 + x) * 3 + c], officialPixel(batch3, index, y, x, c));
      }
    }
  }
});

test("bad binary files: wrong size and out-of-range labels name the file and the fix", async () => {
  const truncatedRoot = path.join(work, "truncated");
  writeSmallBinaryTree(truncatedRoot, 5, (name, bytes) => (name === "data_batch_2.bin" ? bytes.subarray(0, bytes.length - 100) : bytes));
  await assert.rejects(CIFAR10({ root: truncatedRoot }), /data_batch_2\.bin has 15265 bytes, not a whole number of 3073-byte records.*delete it/);
  const badLabelRoot = path.join(work, "bad-label");
  writeSmallBinaryTree(badLabelRoot, 5, (name, bytes) => {
    if (name === "test_batch.bin") bytes[3 * 3073] = 12;
    return bytes;
  });
  await assert.rejects(CIFAR10({ root: badLabelRoot, train: false }), /record 3 of .*test_batch\.bin has label 12, but there are 10 classes/);
  await assert.rejects(CIFAR10({ root: path.join(work, "nothing-here") }), /no CIFAR-10 train data under .*pass download: true/);
});

test("download: fetched from a local server, md5-checked, extracted safely, then cached", async () => {
  const tree = path.join(work, "archive-src");
  writeSmallBinaryTree(tree, 20);
  const archive = path.join(work, "cifar-small.tar.gz");
  execFileSync("tar", ["-czf", archive, "-C", tree, "cifar-10-batches-bin"]);
  const body = fs.readFileSync(archive);
  const md5 = crypto.createHash("md5").update(body).digest("hex");
  server.routes.set("/cifar-10-binary.tar.gz", { body, dropAfterBytes: 1000 });
  const root = path.join(work, "downloaded");
  const url = `${server.baseUrl}/cifar-10-binary.tar.gz`;
  const train = await CIFAR10({ root, train: true, download: true, url, md5, downloadOptions: { retryDelayMs: 0 } });
  assert.equal(train.length, 100);
  const archiveRequests = server.requests.filter((r) => r.path === "/cifar-10-binary.tar.gz").map((r) => r.range);
  assert.deepEqual(archiveRequests, [undefined, "bytes=1000-"], "the dropped connection was resumed where it stopped");
  assert.ok(!fs.existsSync(path.join(root, "cifar-10-binary.tar.gz.part")), "the verified archive was renamed into place");
  const reference = fs.readFileSync(path.join(SUBSET, "data_batch_1.bin"));
  assert.equal(train.data[5 * 3072 + 1], officialPixel(reference, 5, 0, 0, 1));
  const requests = server.requests.length;
  const testSplit = await CIFAR10({ root, train: false, download: true, url, md5 });
  assert.equal(testSplit.length, 20);
  assert.equal(server.requests.length, requests, "already extracted: no network");
  assert.ok(!fs.readdirSync(root).some((n) => n.startsWith(".extracting")));

  // A damaged extracted file is replaced from the (cached, md5-checked) archive, not used.
  const damaged = path.join(root, "cifar-10-batches-bin", "data_batch_4.bin");
  fs.truncateSync(damaged, 3073 * 3 + 17);
  const originalWarn = console.warn;
  const warnings: string[] = [];
  console.warn = (message: string) => warnings.push(message);
  try {
    const restored = await CIFAR10({ root, train: true, download: true, url, md5 });
    assert.deepEqual(Buffer.from(restored.data), Buffer.from(train.data));
  } finally {
    console.warn = originalWarn;
  }
  assert.match(warnings.join("\n"), /data_batch_4\.bin has 9236 bytes.*extracting .*cifar-10-binary\.tar\.gz again/);
  assert.equal(server.requests.length, requests, "the archive itself was a cache hit");
  fs.truncateSync(damaged, 100);
  await assert.rejects(CIFAR10({ root, train: true }), /data_batch_4\.bin has 100 bytes/, "without download/archive the damage is reported");
});

test("download: a corrupt archive is rejected and nothing is extracted", async () => {
  server.routes.set("/corrupt.tar.gz", { body: Buffer.from("definitely not the archive") });
  const root = path.join(work, "corrupt");
  await assert.rejects(
    CIFAR10({ root, download: true, url: `${server.baseUrl}/corrupt.tar.gz`, md5: "0".repeat(32) }),
    /is corrupt \(md5 is/,
  );
  assert.deepEqual(fs.readdirSync(root), []);
});

test("an archive with an entry escaping root is refused", async () => {
  const evil = Buffer.concat([tarHeader("cifar-10-batches-bin/../../escaped.bin", 3, "0"), Buffer.from("bad"), Buffer.alloc(509), Buffer.alloc(1024)]);
  const archive = path.join(work, "evil.tar");
  fs.writeFileSync(archive, evil);
  const root = path.join(work, "evil-root");
  await assert.rejects(CIFAR10({ root, archive }), /escapes the destination/);
  assert.ok(!fs.existsSync(path.join(work, "escaped.bin")));
});

test("ImageFolder-of-images layout (train/<class>/...) from a local archive", async () => {
  const tree = path.join(work, "jpg-src", "cifar10-jpg");
  const batch = fs.readFileSync(path.join(SUBSET, "test_batch.bin"));
  const classes = fs.readFileSync(path.join(SUBSET, "batches.meta.txt"), "utf8").split("\n").filter(Boolean);
  const written: { label: number; index: number }[] = [];
  const perClass = new Map<number, number>();
  for (let index = 0; index < 40; index++) {
    const label = batch[index * 3073];
    const rank = perClass.get(label) ?? 0;
    perClass.set(label, rank + 1);
    const hwc = Buffer.alloc(3072);
    for (let i = 0; i < 1024; i++) for (let c = 0; c < 3; c++) hwc[i * 3 + c] = batch[index * 3073 + 1 + c * 1024 + i];
    const file = path.join(tree, "test", classes[label], `${String(rank).padStart(4, "0")}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await sharp(hwc, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(file);
    written.push({ label, index });
  }
  const archive = path.join(work, "cifar10-png.tar.gz");
  execFileSync("tar", ["-czf", archive, "-C", path.dirname(tree), "cifar10-jpg"]);
  const root = path.join(work, "jpg-root");
  const testSplit = await CIFAR10({ root, train: false, archive });
  assert.equal(testSplit.length, 40);
  const present = classes.filter((_, c) => perClass.has(c));
  assert.deepEqual(testSplit.classes, present);
  // ImageFolder order: by class, then by rank; find the first image of class 3 ("cat") and compare pixels.
  const catIndex = testSplit.classes.indexOf("cat");
  const position = Array.from(testSplit.targets).indexOf(catIndex);
  const firstCat = written.find((w) => w.label === 3)!;
  const image = testSplit.image(position);
  for (let i = 0; i < 1024; i++) {
    for (let c = 0; c < 3; c++) assert.equal(image.data[i * 3 + c], batch[firstCat.index * 3073 + 1 + c * 1024 + i]);
  }
  // The decoded split is cached in the binary record format and reused; a damaged cache is ignored.
  const cache = path.join(root, "cifar10-jpg", "test.decoded.bin");
  assert.equal(fs.statSync(cache).size, 40 * 3073);
  const cached = await CIFAR10({ root, train: false });
  assert.deepEqual(Buffer.from(cached.data), Buffer.from(testSplit.data));
  assert.deepEqual(cached.classes, testSplit.classes);
  fs.writeFileSync(cache, Buffer.alloc(3073 * 2));
  const rebuilt = await CIFAR10({ root, train: false });
  assert.deepEqual(Buffer.from(rebuilt.data), Buffer.from(testSplit.data));
  assert.equal(fs.statSync(cache).size, 40 * 3073, "the cache was rewritten");
  await assert.rejects(CIFAR10({ root, train: true }), /no CIFAR-10 train data/);
});

test("the ImageFolder-of-JPEGs layout of the shared cifar10-jpg archive: official labels, pixels within JPEG error", async () => {
  // 20 JPEGs per class of the test split (ranks 0000-0019 within each class, in official order).
  const root = path.join(work, "shared-jpg");
  fs.mkdirSync(root);
  execFileSync("tar", ["-xzf", path.join(SHARED, "cifar10-jpg.tar.gz"), "-C", root, "--wildcards", "cifar10-jpg/test/*/00[01][0-9].jpg"]);
  const testSplit = await CIFAR10({ root, train: false });
  assert.equal(testSplit.length, 200);
  const official = fs.readFileSync(path.join(SUBSET, "test_batch.bin"));
  const officialClasses = fs.readFileSync(path.join(SUBSET, "batches.meta.txt"), "utf8").split("\n").map((l) => l.trim()).filter(Boolean);
  assert.deepEqual(testSplit.classes, officialClasses, "sorted folder names are the official class order");
  // Record indices of each class in official order.
  const byClass: number[][] = officialClasses.map(() => []);
  for (let record = 0; record < RECORDS_PER_FILE; record++) byClass[official[record * 3073]].push(record);
  let total = 0;
  const rankInClass = new Map<number, number>();
  for (let i = 0; i < testSplit.length; i++) {
    const label = testSplit.targets[i];
    const rank = rankInClass.get(label) ?? 0;
    rankInClass.set(label, rank + 1);
    const record = byClass[label][rank];
    const image = testSplit.image(i);
    let sum = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) sum += Math.abs(image.data[(y * 32 + x) * 3 + c] - officialPixel(official, record, y, x, c));
      }
    }
    // Another image would differ by ~50 levels on average; quality-75 JPEG error is ~6.
    assert.ok(sum / 3072 < 16, `${officialClasses[label]} rank ${rank} (record ${record}): mean |diff| ${(sum / 3072).toFixed(1)}/255`);
    total += sum;
  }
  const meanError = total / (testSplit.length * 3072);
  assert.ok(meanError > 2 && meanError < 8, `mean JPEG error ${meanError.toFixed(2)}/255 (the shared README says 5.8)`);
  assert.deepEqual([...rankInClass.values()], new Array(10).fill(20));
});
