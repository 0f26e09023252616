import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { ImageFolder, IMG_EXTENSIONS } from "../../kernel-lib/data/image-folder";
import { decodeImage, ImageDecodeError } from "../../kernel-lib/data/decode-image";
import type { Image } from "../../kernel-lib/data/image";
import { SkippedSampleError } from "../../kernel-lib/data/dataset";
import { runPython, torchvisionMissing } from "./python-reference";

const HYMENOPTERA = path.resolve(__dirname, "../../../shared/data/hymenoptera_data");
let root: string;

/** A 12x8 RGB gradient whose pixels the tests can recompute. */
function gradient(width = 12, height = 8): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = x * 20;
      pixels[i + 1] = y * 30;
      pixels[i + 2] = 100;
    }
  }
  return pixels;
}

async function writeJpeg(file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(gradient(), { raw: { width: 12, height: 8, channels: 3 } }).jpeg({ quality: 95 }).toFile(file);
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "image-folder-"));
  // Layout torchvision must read identically: classes out of order, nested folders, upper-case and
  // odd extensions, a space in a name, and a non-image file that is ignored.
  await writeJpeg(path.join(root, "zebra", "b.jpg"));
  await writeJpeg(path.join(root, "zebra", "A.JPG"));
  await writeJpeg(path.join(root, "zebra", "nested", "deeper", "c.jpeg"));
  await writeJpeg(path.join(root, "zebra", "with space.jpg"));
  // Python sorts os.walk's folders by full path: "n m" (space) before "n/..." ("/" sorts after " ").
  await writeJpeg(path.join(root, "zebra", "n m", "e.jpg"));
  await writeJpeg(path.join(root, "zebra", "n", "sub", "d.jpg"));
  await writeJpeg(path.join(root, "zebra", "n", "f.jpg"));
  fs.writeFileSync(path.join(root, "zebra", "notes.txt"), "not an image");
  await writeJpeg(path.join(root, "Ant", "1.jpg"));
  await sharp(gradient(), { raw: { width: 12, height: 8, channels: 3 } }).png().toFile(path.join(root, "Ant", "2.PNG"));
  await writeJpeg(path.join(root, "bee", "x.webp.jpg"));
  await sharp(gradient(), { raw: { width: 12, height: 8, channels: 3 } }).webp().toFile(path.join(root, "bee", "y.webp"));
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

test("classes, classToIdx, samples and targets match torchvision's ImageFolder", { skip: torchvisionMissing() }, () => {
  const folder = new ImageFolder(root);
  const script = `
import json, sys, torchvision
d = torchvision.datasets.ImageFolder(sys.argv[1])
print(json.dumps({"classes": d.classes, "classToIdx": d.class_to_idx, "samples": d.samples, "targets": d.targets}))`;
  const reference = JSON.parse(runPython(script, undefined, [root]).toString());
  assert.deepEqual(folder.classes, reference.classes);
  assert.deepEqual(folder.classToIdx, reference.classToIdx);
  assert.deepEqual(folder.samples, reference.samples);
  assert.deepEqual(folder.targets, reference.targets);
  assert.ok(folder.ignoredFiles.some((f) => f.endsWith("notes.txt")));
});

test("hymenoptera: same samples as torchvision (GIF left out by extension, the name with a space kept)", { skip: torchvisionMissing() }, () => {
  const trainRoot = path.join(HYMENOPTERA, "train");
  const folder = new ImageFolder(trainRoot);
  const script = `
import json, sys, torchvision
d = torchvision.datasets.ImageFolder(sys.argv[1])
print(json.dumps(d.samples))`;
  assert.deepEqual(folder.samples, JSON.parse(runPython(script, undefined, [trainRoot]).toString()));
  assert.equal(folder.length, 244);
  assert.ok(folder.samples.some(([p]) => p.endsWith("ant photos.jpg")));
  assert.ok(folder.ignoredFiles.some((p) => p.endsWith("imageNotFound.gif")));
});

test("hidden entries (.ipynb_checkpoints, dotfiles) are skipped", async () => {
  await writeJpeg(path.join(root, ".ipynb_checkpoints", "a-checkpoint.jpg"));
  await writeJpeg(path.join(root, "bee", ".hidden.jpg"));
  await writeJpeg(path.join(root, "bee", ".ipynb_checkpoints", "x-checkpoint.jpg"));
  try {
    const folder = new ImageFolder(root);
    assert.deepEqual(folder.classes, ["Ant", "bee", "zebra"]);
    assert.ok(folder.samples.every(([p]) => !p.includes(`${path.sep}.`)), "no hidden file may become a sample");
    assert.equal(folder.length, 11);
  } finally {
    fs.rmSync(path.join(root, ".ipynb_checkpoints"), { recursive: true });
    fs.rmSync(path.join(root, "bee", ".hidden.jpg"));
    fs.rmSync(path.join(root, "bee", ".ipynb_checkpoints"), { recursive: true });
  }
});

test("getItem decodes to RGB uint8 HWC and applies the transform", async () => {
  const folder = new ImageFolder(root, { transform: (image) => image.shape });
  const [shape, label] = await folder.getItem(0);
  assert.deepEqual(shape, [8, 12, 3]);
  assert.equal(label, 0);
  const plain = new ImageFolder(root);
  const [image] = await plain.getItem(1); // the lossless PNG: exact pixels
  assert.equal(image.pixelType, "uint8");
  assert.deepEqual(Array.from(image.data), Array.from(gradient()));
});

test("grayscale, RGBA, palette GIF, CMYK and EXIF-rotated files all decode to upright 3-channel RGB", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "decode-"));
  try {
    const gray = Buffer.from(Array.from({ length: 12 * 8 }, (_, i) => i * 2));
    await sharp(gray, { raw: { width: 12, height: 8, channels: 1 } }).png().toFile(path.join(dir, "gray.png"));
    const grayImage = await decodeImage(path.join(dir, "gray.png"));
    assert.equal(grayImage.channels, 3);
    for (let i = 0; i < 12 * 8; i++) assert.deepEqual(Array.from(grayImage.data.subarray(i * 3, i * 3 + 3)), [i * 2, i * 2, i * 2]);

    const rgba = Buffer.alloc(12 * 8 * 4);
    const rgb = gradient();
    for (let i = 0; i < 12 * 8; i++) {
      rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = i % 2 === 0 ? 0 : 255; // transparent pixels keep their colour, as PIL's convert("RGB") does
    }
    await sharp(rgba, { raw: { width: 12, height: 8, channels: 4 } }).png().toFile(path.join(dir, "rgba.png"));
    assert.deepEqual(Array.from((await decodeImage(path.join(dir, "rgba.png"))).data), Array.from(rgb));

    // A two-frame GIF: the first frame (red) must come out, not the second (blue).
    const frames = Buffer.alloc(4 * 8 * 4);
    for (let i = 0; i < 4 * 4; i++) frames.set([255, 0, 0, 255], i * 4);
    for (let i = 4 * 4; i < 4 * 8; i++) frames.set([0, 0, 255, 255], i * 4);
    await sharp(frames, { raw: { width: 4, height: 8, channels: 4, pageHeight: 4 } }).gif().toFile(path.join(dir, "anim.gif"));
    const gif = await decodeImage(path.join(dir, "anim.gif"));
    assert.deepEqual([gif.height, gif.width, gif.channels], [4, 4, 3]);
    assert.deepEqual(Array.from(gif.data.subarray(0, 3)), [255, 0, 0]);

    await sharp(rgb, { raw: { width: 12, height: 8, channels: 3 } }).toColourspace("cmyk").jpeg({ quality: 100 }).toFile(path.join(dir, "cmyk.jpg"));
    assert.equal((await sharp(path.join(dir, "cmyk.jpg")).metadata()).space, "cmyk");
    const cmyk = await decodeImage(path.join(dir, "cmyk.jpg"));
    let diff = 0;
    for (let i = 0; i < rgb.length; i++) diff += Math.abs(cmyk.data[i] - rgb[i]);
    assert.ok(diff / rgb.length < 12, `CMYK round trip mean error ${diff / rgb.length}`);

    // Orientation 6 = stored sideways, shown rotated 90° clockwise: a 12x8 file shows as 8x12.
    await sharp(rgb, { raw: { width: 12, height: 8, channels: 3 } }).png().withMetadata({ orientation: 6 }).toFile(path.join(dir, "rotated.png"));
    const rotated = await decodeImage(path.join(dir, "rotated.png"));
    assert.deepEqual(rotated.shape, [12, 8, 3]);
    // Rotating clockwise puts the stored bottom-left pixel (x=0, y=7) at the top-left.
    assert.deepEqual(Array.from(rotated.data.subarray(0, 3)), [0, 7 * 30, 100]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("bad input: missing root, no class folder, empty class folder, each with the fix", () => {
  assert.throws(() => new ImageFolder(path.join(root, "nope")), /is not a folder; pass the folder that holds one sub-folder per class/);
  const flat = fs.mkdtempSync(path.join(os.tmpdir(), "flat-"));
  fs.writeFileSync(path.join(flat, "a.jpg"), "x");
  assert.throws(() => new ImageFolder(flat), /found no class folder in .*<class name>\/<images>/);
  fs.mkdirSync(path.join(flat, "cats"));
  fs.mkdirSync(path.join(flat, "dogs"));
  fs.writeFileSync(path.join(flat, "dogs", "readme.txt"), "x");
  assert.throws(() => new ImageFolder(flat), (error: Error) => {
    assert.match(error.message, /no image files in class folder\(s\) .*cats, .*dogs; add images/);
    return true;
  });
  fs.rmSync(flat, { recursive: true, force: true });
});

test("non-image and truncated JPEG: an error naming the file and the fix, or skipped with a report", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bad-"));
  try {
    await writeJpeg(path.join(dir, "good", "ok.jpg"));
    await writeJpeg(path.join(dir, "good", "ok2.jpg"));
    fs.writeFileSync(path.join(dir, "good", "text.jpg"), "this is a text file, not a JPEG");
    const full = fs.readFileSync(path.join(dir, "good", "ok.jpg"));
    fs.writeFileSync(path.join(dir, "good", "truncated.jpg"), full.subarray(0, Math.floor(full.length / 2)));

    const strict = new ImageFolder(dir);
    const textIndex = strict.samples.findIndex(([p]) => p.endsWith("text.jpg"));
    const truncatedIndex = strict.samples.findIndex(([p]) => p.endsWith("truncated.jpg"));
    for (const index of [textIndex, truncatedIndex]) {
      await assert.rejects(strict.getItem(index), (error: Error) => {
        assert.ok(error instanceof ImageDecodeError);
        assert.ok(error.message.includes(strict.samples[index][0]), error.message);
        assert.match(error.message, /replace or delete it, or pass onError: "skip"/);
        return true;
      });
    }
    await assert.rejects(strict.verify(), /2 file\(s\) .* cannot be decoded:[\s\S]*text\.jpg[\s\S]*truncated\.jpg|2 file\(s\)[\s\S]*truncated\.jpg[\s\S]*text\.jpg/);

    const lenient = new ImageFolder(dir, { onError: "skip" });
    const warnings: string[] = [];
    const originalWarn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      await assert.rejects(lenient.getItem(textIndex), SkippedSampleError);
    } finally {
      console.warn = originalWarn;
    }
    assert.equal(warnings.length, 1);
    assert.equal(lenient.skipped[0].path, strict.samples[textIndex][0]);
    const removed = await lenient.verify();
    assert.equal(removed.length, 2);
    assert.equal(lenient.length, 2);
    assert.deepEqual(lenient.samples.map(([p]) => path.basename(p)), ["ok.jpg", "ok2.jpg"]);
    assert.equal(lenient.skipped.length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("fused decode (libvips crops/resizes) draws the same boxes and stays within 1/255 of the JavaScript path", async () => {
  const { Compose, RandomResizedCrop, Resize, CenterCrop, ToTensor } = await import("../../kernel-lib/data/transforms");
  const { Generator } = await import("../../kernel-lib/data/generator");
  const trainRoot = path.join(HYMENOPTERA, "train");
  for (const transform of [new Compose([new RandomResizedCrop(96), new ToTensor()]), new Compose([new Resize(80), new CenterCrop(64), new ToTensor()])]) {
    const fused = new ImageFolder(trainRoot, { transform });
    const exact = new ImageFolder(trainRoot, { transform, fusedDecode: false });
    let total = 0;
    let count = 0;
    for (const index of [0, 7, 50, 130, 200, 243]) {
      const [a] = await fused.getItem(index, new Generator(index));
      const [b] = await exact.getItem(index, new Generator(index));
      assert.deepEqual(a.shape, b.shape);
      let sum = 0;
      for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
      // A different crop box would differ by far more than this.
      assert.ok(sum / a.data.length < 2 / 255, `image ${index}: mean |diff| ${((sum / a.data.length) * 255).toFixed(2)}/255`);
      // Again (the image size now comes from the size cache): same draws, same pixels.
      const [again] = await fused.getItem(index, new Generator(index));
      assert.deepEqual(Array.from(again.data), Array.from(a.data));
      total += sum;
      count += a.data.length;
    }
    assert.ok(total / count < 1 / 255, `overall mean |diff| ${((total / count) * 255).toFixed(2)}/255`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fused-bad-"));
  try {
    await writeJpeg(path.join(dir, "c", "ok.jpg"));
    const full = fs.readFileSync(path.join(dir, "c", "ok.jpg"));
    fs.writeFileSync(path.join(dir, "c", "truncated.jpg"), full.subarray(0, Math.floor(full.length / 2)));
    const folder = new ImageFolder(dir, { transform: new Compose([new RandomResizedCrop(8), new ToTensor()]) });
    await assert.rejects(folder.getItem(1), /Cannot decode image .*truncated\.jpg.*onError: "skip"/);
    const lenient = new ImageFolder(dir, { transform: new Compose([new RandomResizedCrop(8), new ToTensor()]), onError: "skip" });
    const originalWarn = console.warn;
    console.warn = () => undefined;
    try {
      await assert.rejects(lenient.getItem(1), SkippedSampleError);
    } finally {
      console.warn = originalWarn;
    }
    assert.equal(lenient.skipped.length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("fused decode crops in upright coordinates for EXIF-rotated files", async () => {
  const { Compose, RandomResizedCrop, ToTensor } = await import("../../kernel-lib/data/transforms");
  const { Generator } = await import("../../kernel-lib/data/generator");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fused-exif-"));
  try {
    const [width, height] = [120, 80];
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) pixels.set([x * 2, y * 3, (x * y) % 256], (y * width + x) * 3);
    }
    fs.mkdirSync(path.join(dir, "c"));
    for (const orientation of [1, 3, 6, 8]) {
      await sharp(pixels, { raw: { width, height, channels: 3 } }).png().withMetadata({ orientation }).toFile(path.join(dir, "c", `o${orientation}.png`));
    }
    const transform = new Compose([new RandomResizedCrop(32, { scale: [0.2, 0.5] }), new ToTensor()]);
    const fused = new ImageFolder(dir, { transform });
    const exact = new ImageFolder(dir, { transform, fusedDecode: false });
    for (let i = 0; i < fused.length; i++) {
      const [a] = await fused.getItem(i, new Generator(i));
      const [b] = await exact.getItem(i, new Generator(i));
      let sum = 0;
      for (let k = 0; k < a.data.length; k++) sum += Math.abs(a.data[k] - b.data[k]);
      assert.ok(sum / a.data.length < 1 / 255, `${fused.samples[i][0]}: mean |diff| ${((sum / a.data.length) * 255).toFixed(2)}/255`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("cacheImages decodes each file once: later epochs need no file, within budget only", async () => {
  const { Compose, RandomResizedCrop, ToTensor } = await import("../../kernel-lib/data/transforms");
  const { Generator } = await import("../../kernel-lib/data/generator");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cache-"));
  try {
    const source = path.join(HYMENOPTERA, "val", "bees");
    const names = fs.readdirSync(source).sort().slice(0, 4);
    fs.mkdirSync(path.join(dir, "bees"));
    for (const name of names) fs.copyFileSync(path.join(source, name), path.join(dir, "bees", name));
    const transform = new Compose([new RandomResizedCrop(48), new ToTensor()]);
    const cached = new ImageFolder(dir, { transform, cacheImages: true });
    const uncached = new ImageFolder(dir, { transform });
    const tiny = new ImageFolder(dir, { transform, cacheImages: 1 });
    const firstPass: Image[] = [];
    for (let i = 0; i < 4; i++) {
      firstPass.push((await cached.getItem(i, new Generator(i)))[0]);
      await tiny.getItem(i, new Generator(i));
      const [reference] = await uncached.getItem(i, new Generator(i));
      let sum = 0;
      for (let k = 0; k < reference.data.length; k++) sum += Math.abs(reference.data[k] - firstPass[i].data[k]);
      assert.ok(sum / reference.data.length < 1 / 255, `cached crop ${i} differs from the fused decode`);
    }
    assert.ok(cached.cachedBytes > 0);
    assert.equal(tiny.cachedBytes, 0);
    fs.rmSync(path.join(dir, "bees"), { recursive: true });
    for (let i = 0; i < 4; i++) {
      const [again] = await cached.getItem(i, new Generator(i));
      assert.deepEqual(Array.from(again.data), Array.from(firstPass[i].data), "same draws, same pixels, no file needed");
    }
    await assert.rejects(tiny.getItem(0, new Generator(0)), /Cannot decode image/);
    assert.throws(() => new ImageFolder(HYMENOPTERA, { cacheImages: -1 }), /cacheImages must be/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Copies of a valid JPEG with the damage real files show: an empty file, a broken header, junk bytes. */
async function writeDamagedJpegs(dir: string): Promise<Record<string, string>> {
  await writeJpeg(path.join(dir, "ok.jpg"));
  const good = fs.readFileSync(path.join(dir, "ok.jpg"));
  const damaged: Record<string, Buffer> = {};
  damaged["empty.jpg"] = Buffer.alloc(0);
  // A Huffman table overwritten: the decoder cannot even start ("Bogus Huffman table definition").
  const huffman = Buffer.from(good);
  const dht = huffman.indexOf(Buffer.from([0xff, 0xc4]));
  assert.ok(dht > 0, "the fixture JPEG has a Huffman table segment");
  huffman.fill(0xff, dht + 4, dht + 30);
  damaged["bad-huffman.jpg"] = huffman;
  // The frame header's size fields zeroed ("Empty JPEG image").
  const frame = Buffer.from(good);
  const sof = frame.indexOf(Buffer.from([0xff, 0xc0]));
  assert.ok(sof > 0, "the fixture JPEG has a baseline frame header");
  frame.fill(0, sof + 2, sof + 12);
  damaged["bad-frame.jpg"] = frame;
  // The end-of-image marker missing (a copy that stopped two bytes short).
  damaged["no-end.jpg"] = good.subarray(0, good.length - 2);
  const paths: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(damaged)) {
    paths[name] = path.join(dir, name);
    fs.writeFileSync(paths[name], bytes);
  }
  return paths;
}

test("corrupt JPEGs (empty, broken Huffman table, broken frame header, no end marker) each name the file and the fix", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "corrupt-"));
  try {
    const damaged = await writeDamagedJpegs(path.join(dir, "c"));
    // Harmless damage real photos carry (junk after the end marker) still decodes, as PIL decodes it.
    const good = fs.readFileSync(path.join(dir, "c", "ok.jpg"));
    fs.writeFileSync(path.join(dir, "c", "trailing-junk.jpg"), Buffer.concat([good, Buffer.from("junk after the image")]));
    const trailing = await decodeImage(path.join(dir, "c", "trailing-junk.jpg"));
    assert.deepEqual(Array.from(trailing.data), Array.from((await decodeImage(path.join(dir, "c", "ok.jpg"))).data));

    for (const file of Object.values(damaged)) {
      await assert.rejects(decodeImage(file), (error: Error) => {
        assert.ok(error instanceof ImageDecodeError, `${file}: ${error}`);
        assert.equal(error.filePath, file);
        assert.ok(error.message.includes(file), error.message);
        assert.match(error.message, /corrupt, truncated or not an image: replace or delete it, or pass onError: "skip"/);
        return true;
      });
    }
    // The same files through ImageFolder, raising (default) and skipping with a report.
    const strict = new ImageFolder(dir);
    await assert.rejects(strict.verify(), (error: Error) => {
      for (const file of Object.values(damaged)) assert.ok(error.message.includes(file), `${file} missing from: ${error.message}`);
      assert.match(error.message, /4 file\(s\) .* cannot be decoded[\s\S]*Fix or delete them, or pass onError: "skip"/);
      return true;
    });
    const lenient = new ImageFolder(dir, { onError: "skip" });
    const removed = await lenient.verify();
    assert.deepEqual(removed.map((r) => r.path).sort(), Object.values(damaged).sort());
    assert.deepEqual(lenient.samples.map(([p]) => path.basename(p)), ["ok.jpg", "trailing-junk.jpg"]);
    assert.ok(lenient.skipped.every((s) => s.reason.startsWith(`Cannot decode image ${s.path}`)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("bad files never crash an epoch: onError 'skip' drops them from their batch and reports them; 'raise' names the file", async () => {
  const tf = await import("@tensorflow/tfjs");
  const { DataLoader } = await import("../../kernel-lib/data/data-loader");
  const { Compose, RandomResizedCrop, ToTensor } = await import("../../kernel-lib/data/transforms");
  await tf.setBackend("cpu");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "epoch-"));
  try {
    const damaged = await writeDamagedJpegs(path.join(dir, "ants"));
    for (let i = 0; i < 5; i++) await writeJpeg(path.join(dir, "bees", `b${i}.jpg`));
    fs.writeFileSync(path.join(dir, "bees", "text.jpg"), "not a JPEG at all");
    const transform = new Compose([new RandomResizedCrop(8), new ToTensor()]);
    const before = tf.memory().numTensors;

    const lenient = new ImageFolder(dir, { transform, onError: "skip" });
    assert.equal(lenient.length, 11);
    const loader = new DataLoader(lenient, { batchSize: 4, shuffle: true, seed: 1 });
    const warn = console.warn;
    console.warn = () => undefined;
    let images = 0;
    try {
      await loader.forEach(([batch, labels]) => {
        assert.deepEqual(batch.shape.slice(1), [8, 8, 3]);
        assert.equal(labels.shape[0], batch.shape[0]);
        images += batch.shape[0];
      });
    } finally {
      console.warn = warn;
    }
    assert.equal(images, 6, "the 6 good images, every epoch item accounted for");
    const badFiles = [...Object.values(damaged), path.join(dir, "bees", "text.jpg")].sort();
    assert.deepEqual([...loader.skipped].sort(), badFiles);
    assert.deepEqual(lenient.skipped.map((s) => s.path).sort(), badFiles);
    assert.equal(tf.memory().numTensors, before);

    const strict = new ImageFolder(dir, { transform });
    await assert.rejects(new DataLoader(strict, { batchSize: 4 }).forEach(() => undefined), /Cannot decode image .*(empty|bad-huffman|bad-frame|no-end)\.jpg.*onError: "skip"/);
    assert.equal(tf.memory().numTensors, before, "a failed epoch leaves no tensor behind");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("GIF (hymenoptera's imageNotFound.gif), palette, grayscale, RGBA and ICC-tagged JPEGs decode to the same RGB as PIL's convert('RGB')", { skip: torchvisionMissing() }, async () => {
  // torchvision leaves .gif out by extension (and so do we by default); opting in loads the first frame.
  const trainRoot = path.join(HYMENOPTERA, "train");
  const withGif = new ImageFolder(trainRoot, { extensions: [...IMG_EXTENSIONS, ".gif"] });
  const gifIndex = withGif.samples.findIndex(([p]) => p.endsWith("imageNotFound.gif"));
  assert.ok(gifIndex >= 0, "the GIF is a sample once .gif counts as an image");
  assert.equal(withGif.length, 245);
  const [gif, label] = await withGif.getItem(gifIndex);
  assert.equal(label, withGif.classToIdx.ants);
  assert.deepEqual(gif.shape, [300, 300, 3]);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pil-"));
  try {
    const rgb = gradient();
    await sharp(rgb, { raw: { width: 12, height: 8, channels: 3 } }).png({ palette: true, colours: 16 }).toFile(path.join(dir, "palette.png"));
    await sharp(rgb, { raw: { width: 12, height: 8, channels: 3 } }).gif().toFile(path.join(dir, "palette.gif"));
    await sharp(Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 5) % 256)), { raw: { width: 12, height: 8, channels: 1 } }).png().toFile(path.join(dir, "gray.png"));
    await sharp(Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 5) % 256)), { raw: { width: 12, height: 8, channels: 1 } }).jpeg().toFile(path.join(dir, "gray.jpg"));
    const rgba = Buffer.alloc(12 * 8 * 4);
    for (let i = 0; i < 96; i++) rgba.set([rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], (i * 17) % 256], i * 4);
    await sharp(rgba, { raw: { width: 12, height: 8, channels: 4 } }).png().toFile(path.join(dir, "rgba.png"));
    // Photos with an embedded colour profile: PIL ignores it, so the stored values are what torchvision
    // trains on. These two carry wide-gamut profiles (applying them would move pixels by 2-4 levels on
    // average); the third an sRGB one.
    const photos = ["train/bees/1508176360_2972117c9d.jpg", "train/ants/1225872729_6f0856588f.jpg", "val/bees/1032546534_06907fe3b3.jpg"].map((p) => path.join(HYMENOPTERA, p));
    for (const photo of photos) assert.ok((await sharp(photo).metadata()).icc !== undefined, `${photo} carries an ICC profile`);
    const files = [withGif.samples[gifIndex][0], ...photos, ...["palette.png", "palette.gif", "gray.png", "gray.jpg", "rgba.png"].map((n) => path.join(dir, n))];
    const script = `
import sys
from PIL import Image
for f in sys.argv[1:]:
    sys.stdout.buffer.write(Image.open(f).convert('RGB').tobytes())`;
    const reference = runPython(script, undefined, files);
    let offset = 0;
    for (const file of files) {
      const ours = await decodeImage(file);
      const expected = reference.subarray(offset, offset + ours.data.length);
      offset += ours.data.length;
      // JPEG: libjpeg-turbo builds may differ by a rounding step; lossless formats must be exact.
      const tolerance = file.endsWith(".jpg") ? 1 : 0;
      let worst = 0;
      let sum = 0;
      for (let i = 0; i < expected.length; i++) {
        const d = Math.abs(expected[i] - ours.data[i]);
        worst = Math.max(worst, d);
        sum += d;
      }
      assert.ok(worst <= tolerance && sum / expected.length < 0.05, `${path.basename(file)}: max |diff| ${worst}, mean ${(sum / expected.length).toFixed(3)} vs PIL`);
    }
    assert.equal(offset, reference.length, "same sizes as PIL");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("torchvision's positional form ImageFolder(root, transform) takes the transform", async () => {
  const { Compose, CenterCrop, ToTensor } = await import("../../kernel-lib/data/transforms");
  const positional = new ImageFolder(root, new Compose([new CenterCrop(4), new ToTensor()]));
  const [image] = await positional.getItem(0);
  assert.deepEqual(image.shape, [4, 4, 3]);
  assert.equal(image.pixelType, "float32");
  const asFunction = new ImageFolder(root, (decoded: Image) => decoded.shape);
  assert.deepEqual((await asFunction.getItem(0))[0], [8, 12, 3]);
  assert.throws(() => new ImageFolder(root, 5 as unknown as object), /second argument must be a transform or an options object/);
});

test("cached images and sizes follow the file, not the index, when samples are filtered or reordered", async () => {
  const { Compose, RandomResizedCrop, ToTensor } = await import("../../kernel-lib/data/transforms");
  const { Generator } = await import("../../kernel-lib/data/generator");
  const valBees = path.join(HYMENOPTERA, "val");
  for (const cacheImages of [true, false]) {
    const transform = new Compose([new RandomResizedCrop(32), new ToTensor()]);
    const folder = new ImageFolder(valBees, { transform, cacheImages });
    const reference = new ImageFolder(valBees, { transform });
    const picks = [0, 5, 100, 152];
    for (const i of picks) await folder.getItem(i, new Generator(i)); // fills the caches
    folder.samples = [...folder.samples].reverse();
    folder.targets = folder.samples.map((s) => s[1]);
    for (const i of picks) {
      const [ours, label] = await folder.getItem(i, new Generator(i));
      const original = reference.samples.length - 1 - i;
      const [expected, expectedLabel] = await reference.getItem(original, new Generator(i));
      assert.equal(label, expectedLabel);
      let sum = 0;
      for (let k = 0; k < ours.data.length; k++) sum += Math.abs(ours.data[k] - expected.data[k]);
      assert.ok(sum / ours.data.length < 1 / 255, `cacheImages ${cacheImages}, index ${i}: another file's pixels (mean |diff| ${((sum / ours.data.length) * 255).toFixed(1)}/255)`);
    }
  }
});
