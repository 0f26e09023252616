/**
 * The libjpeg-turbo addon path of decodeImage / imageSize / applyDecodePlan (kernel-lib/data/native-jpeg.ts):
 * same pixels as sharp, PIL's bilinear for crops, errors naming the file, sharp for what it leaves out,
 * and no main-thread blocking. Where the addon is not built these tests skip, loudly.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { applyDecodePlan, decodeImage, imageSize, ImageDecodeError, type DecodePlan } from "../../kernel-lib/data/decode-image";
import type { Image } from "../../kernel-lib/data/image";
import { resizedCrop } from "../../kernel-lib/data/transforms/resample";
import { jpegDecoderChoice, nativeJpegStatus, type JpegDecoderChoice } from "../../kernel-lib/data/native-jpeg";
import { runPython, torchvisionMissing } from "./python-reference";

const SAMPLE = path.resolve(__dirname, "../../data/hymenoptera-sample/train");
const PHOTOS = ["ants", "bees"].flatMap((c) =>
  fs
    .readdirSync(path.join(SAMPLE, c))
    .sort()
    .slice(0, 6)
    .map((name) => path.join(SAMPLE, c, name)),
);

function addonMissing(): string | undefined {
  const status = nativeJpegStatus();
  if (status.available) return undefined;
  console.error(`\n!!! SKIPPING native JPEG tests: ${status.reason}\n`);
  return status.reason;
}
const skip = addonMissing();

/** Runs `body` with LAB_JPEG_DECODER set, restoring the previous value. */
async function withDecoder<T>(choice: JpegDecoderChoice, body: () => Promise<T>): Promise<T> {
  const previous = process.env.LAB_JPEG_DECODER;
  process.env.LAB_JPEG_DECODER = choice;
  try {
    return await body();
  } finally {
    if (previous === undefined) delete process.env.LAB_JPEG_DECODER;
    else process.env.LAB_JPEG_DECODER = previous;
  }
}

function differences(a: Image, b: Image): { max: number; mean: number } {
  assert.deepEqual(a.shape, b.shape);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { max, mean: sum / a.data.length };
}

/** The box of a full image, copied out (the reference a partial decode must equal). */
function cropOf(image: Image, top: number, left: number, height: number, width: number): Uint8Array {
  const out = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) out.set(image.data.subarray(((top + y) * image.width + left) * 3, ((top + y) * image.width + left + width) * 3), y * width * 3);
  return out;
}

/** Boxes that touch every edge case of a partial decode: image edges, iMCU boundaries, one pixel, odd sizes. */
function boxes(height: number, width: number): [number, number, number, number][] {
  return [
    [0, 0, height, width],
    [1, 1, height - 2, width - 2],
    [0, 0, 5, 7],
    [height - 9, width - 13, 9, 13],
    [16, 16, 16, 16],
    [17, 31, Math.floor(height / 3), Math.floor(width / 3)],
    [15, 15, 1, 1],
    [Math.floor(height / 2) - 3, 0, 7, width],
    [0, Math.floor(width / 2) + 5, height, Math.floor(width / 4)],
  ];
}

let dir = "";
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "native-jpeg-"));
  // A smooth, detailed picture, saved with each chroma layout and as a progressive file.
  const [width, height] = [203, 157];
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.set([(x * 5 + y) % 256, (y * 7) % 256, ((x * y) >> 3) % 256], (y * width + x) * 3);
  }
  const raw = { raw: { width, height, channels: 3 as const } };
  await sharp(rgb, raw).jpeg({ quality: 90 }).toFile(path.join(dir, "yuv420.jpg"));
  await sharp(rgb, raw).jpeg({ quality: 90, chromaSubsampling: "4:4:4" }).toFile(path.join(dir, "yuv444.jpg"));
  await sharp(rgb, raw).jpeg({ quality: 90, progressive: true }).toFile(path.join(dir, "progressive.jpg"));
  await sharp(rgb, raw).greyscale().jpeg({ quality: 90 }).toFile(path.join(dir, "gray.jpg"));
  await sharp(rgb, raw).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toFile(path.join(dir, "rotated.jpg"));
  await sharp(rgb, raw).toColourspace("cmyk").jpeg({ quality: 95 }).toFile(path.join(dir, "cmyk.jpg"));
  await sharp(rgb, raw).png().toFile(path.join(dir, "plain.png"));
  const full = fs.readFileSync(path.join(dir, "yuv420.jpg"));
  fs.writeFileSync(path.join(dir, "truncated.jpg"), full.subarray(0, Math.floor(full.length * 0.6)));
  const huffman = Buffer.from(full);
  const dht = huffman.indexOf(Buffer.from([0xff, 0xc4]));
  huffman.fill(0xff, dht + 4, dht + 30);
  fs.writeFileSync(path.join(dir, "bad-huffman.jpg"), huffman);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("LAB_JPEG_DECODER accepts auto, sharp and native only", async () => {
  await withDecoder("sharp", async () => assert.equal(jpegDecoderChoice(), "sharp"));
  process.env.LAB_JPEG_DECODER = "libvips";
  try {
    assert.throws(() => jpegDecoderChoice(), /LAB_JPEG_DECODER=libvips is not one of auto, sharp, native/);
  } finally {
    delete process.env.LAB_JPEG_DECODER;
  }
});

test("whole photos: the addon gives sharp's pixels (same libjpeg-turbo), hymenoptera and synthetic layouts", { skip }, async () => {
  const files = [...PHOTOS, ...["yuv420.jpg", "yuv444.jpg", "progressive.jpg"].map((n) => path.join(dir, n))];
  for (const file of files) {
    const native = await withDecoder("native", () => decodeImage(file));
    const reference = await withDecoder("sharp", () => decodeImage(file));
    const { max } = differences(native, reference);
    assert.ok(max <= 1, `${file}: max |diff| ${max} levels`);
  }
});

test("a crop decodes only its rows and columns yet equals the same box of a full decode", { skip }, async () => {
  for (const file of [PHOTOS[0], PHOTOS[7], ...["yuv420.jpg", "yuv444.jpg", "progressive.jpg", "gray.jpg"].map((n) => path.join(dir, n))]) {
    await withDecoder("native", async () => {
      const full = await decodeImage(file);
      for (const [top, left, height, width] of boxes(full.height, full.width)) {
        const part = await decodeImage(file, { extract: { top, left, height, width } });
        assert.deepEqual(part.shape, [height, width, 3]);
        assert.ok(Buffer.from(part.data).equals(Buffer.from(cropOf(full, top, left, height, width))), `${file}: box ${[top, left, height, width]} differs from the full decode`);
      }
    });
  }
});

test("crop + resize: PIL's filter as the JavaScript path computes it, within 2/255 of sharp's, and the cache path equal", { skip }, async () => {
  for (const file of PHOTOS) {
    const { height, width } = await withDecoder("native", () => imageSize(file));
    const full = await withDecoder("native", () => decodeImage(file));
    const plans: DecodePlan[] = [
      { extract: { top: 10, left: 20, height: Math.floor(height * 0.7), width: Math.floor(width * 0.6) }, resize: [224, 224] },
      { extract: { top: 3, left: 1, height: 40, width: 50 }, resize: [96, 80] }, // upscaling
      { resize: [64, 48] },
    ];
    for (const plan of plans) {
      const native = await withDecoder("native", () => decodeImage(file, plan));
      const box = plan.extract ?? { top: 0, left: 0, height, width };
      const [outHeight, outWidth] = plan.resize ?? [box.height, box.width];
      // The JavaScript resampler keeps the horizontal pass in floating point; PIL and the addon round it to 8 bits.
      const javascript = resizedCrop(full, box.top, box.left, box.height, box.width, outHeight, outWidth);
      const exact = differences(native, javascript);
      assert.ok(exact.max <= 1 && exact.mean < 0.5, `${file} ${JSON.stringify(plan)}: max ${exact.max}, mean ${exact.mean.toFixed(3)} levels vs the JavaScript resampler`);
      if (outHeight <= box.height && outWidth <= box.width) {
        // libvips' linear kernel agrees with PIL's when shrinking (not when enlarging, where it interpolates differently).
        const viaSharp = await withDecoder("sharp", () => decodeImage(file, plan));
        const { mean } = differences(native, viaSharp);
        assert.ok(mean < 2, `${file} ${JSON.stringify(plan)}: mean |diff| ${mean.toFixed(2)}/255 vs sharp`);
      }
      const cached = await withDecoder("native", () => applyDecodePlan(full, plan));
      assert.ok(Buffer.from(cached.data).equals(Buffer.from(native.data)), `${file}: the cache path's resize differs from the fused decode`);
    }
  }
});

test("crop + resize matches torchvision's resized_crop on PIL's own decode of the file", { skip: skip ?? torchvisionMissing() }, async () => {
  const cases = PHOTOS.map((file, i) => ({ file, top: 7 * i, left: 11 * i, height: 120 + 9 * i, width: 150 + 5 * i, size: i % 2 === 0 ? [224, 224] : [64, 96] }));
  const script = `
import sys, json
from PIL import Image
import torchvision.transforms.functional as F
for case in json.loads(sys.argv[1]):
    img = Image.open(case['file']).convert('RGB')
    out = F.resized_crop(img, case['top'], case['left'], case['height'], case['width'], case['size'])
    sys.stdout.buffer.write(out.tobytes())
`;
  const reference = runPython(script, undefined, [JSON.stringify(cases)]);
  let offset = 0;
  let total = 0;
  let count = 0;
  for (const c of cases) {
    const plan: DecodePlan = { extract: { top: c.top, left: c.left, height: c.height, width: c.width }, resize: [c.size[0], c.size[1]] };
    const ours = await withDecoder("native", () => decodeImage(c.file, plan));
    const expected = reference.subarray(offset, offset + ours.data.length);
    offset += ours.data.length;
    let sum = 0;
    let max = 0;
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(ours.data[i] - expected[i]);
      sum += d;
      max = Math.max(max, d);
    }
    assert.ok(sum / expected.length < 2, `${c.file}: mean |diff| ${(sum / expected.length).toFixed(3)}/255 vs torchvision`);
    // Same libjpeg-turbo and the same filter definition: at most a rounding step apart.
    assert.ok(max <= 1, `${c.file}: max |diff| ${max} levels vs torchvision`);
    total += sum;
    count += expected.length;
  }
  assert.equal(offset, reference.length);
  assert.ok(total / count < 0.05, `overall mean |diff| ${(total / count).toFixed(3)}/255 vs torchvision`);
});

test("truncated and corrupt JPEGs: an ImageDecodeError naming the file, from libjpeg through the addon", { skip }, async () => {
  for (const name of ["truncated.jpg", "bad-huffman.jpg"]) {
    const file = path.join(dir, name);
    // A box inside the part of the file that survived must fail as well as the whole image.
    for (const plan of [{}, { extract: { top: 0, left: 0, height: 8, width: 8 } }] as DecodePlan[]) {
      await withDecoder("native", async () => {
        await assert.rejects(decodeImage(file, plan), (error: Error) => {
          assert.ok(error instanceof ImageDecodeError, String(error));
          assert.equal(error.filePath, file);
          assert.ok(error.message.includes(file));
          // libjpeg's own wording (sharp prefixes "VipsJpeg:"), so the addon produced it.
          assert.match(error.message, name === "truncated.jpg" ? /Cannot decode image .*: Premature end of JPEG file\./ : /Cannot decode image .*: Bogus Huffman table definition\./);
          assert.match(error.message, /replace or delete it, or pass onError: "skip"/);
          return true;
        });
      });
    }
  }
});

test("the addon's argument errors name the function and the argument", { skip }, async () => {
  const { nativeJpegDecoder } = await import("../../kernel-lib/data/native-jpeg");
  const addon = nativeJpegDecoder();
  assert.ok(addon);
  const file = PHOTOS[0];
  assert.throws(() => addon.decode(5 as unknown as string, null, null), /decode: the first argument must be a file path or a Buffer/);
  assert.throws(() => addon.decode(file, [1, 2] as unknown as [number, number, number, number], null), /decode: box \[top, left, height, width\] must be an array of 4 integers/);
  assert.throws(() => addon.decode(file, null, [1.5, 2]), /decode: size \[height, width\] must hold integers/);
  assert.throws(() => addon.decode(file, null, null, { table: new Float32Array(5) }), /output.table must be a Float32Array of 768 values/);
  assert.throws(() => addon.decode(file, null, [4, 4], { destination: new Float32Array(48) }), /output.destination needs output.table/);
  assert.throws(() => addon.resize(new Uint8Array(5), 1, 1, null, null), /resize: 5 bytes are not 1x1x3/);
  await assert.rejects(addon.decode(file, [0, 0, 100000, 1], null), (error: Error & { code?: string }) => error.code === "JPEG_BAD_REQUEST" && /is not inside the/.test(error.message));
  await assert.rejects(addon.decode(path.join(dir, "missing.jpg"), null, null), (error: Error & { code?: string }) => error.code === "JPEG_IO");
  await assert.rejects(addon.decode(path.join(dir, "plain.png"), null, null), (error: Error & { code?: string }) => error.code === "JPEG_UNSUPPORTED" && /not a JPEG/.test(error.message));
  await assert.rejects(addon.decode(path.join(dir, "cmyk.jpg"), null, null), (error: Error & { code?: string }) => error.code === "JPEG_UNSUPPORTED" && /cmyk/.test(error.message));
  await assert.rejects(addon.decode(path.join(dir, "rotated.jpg"), null, null), (error: Error & { code?: string }) => error.code === "JPEG_UNSUPPORTED" && /orientation 6/.test(error.message));
  assert.deepEqual(await addon.readHeader(path.join(dir, "rotated.jpg")), { width: 203, height: 157, components: 3, colorSpace: "ycbcr", progressive: false, orientation: 6 });
  assert.equal((await addon.readHeader(fs.readFileSync(path.join(dir, "progressive.jpg")))).progressive, true);
});

test("grayscale JPEG: three equal channels, as sharp gives", { skip }, async () => {
  const file = path.join(dir, "gray.jpg");
  const native = await withDecoder("native", () => decodeImage(file));
  assert.equal(native.channels, 3);
  for (let i = 0; i < native.data.length; i += 3) assert.ok(native.data[i] === native.data[i + 1] && native.data[i] === native.data[i + 2]);
  assert.equal(differences(native, await withDecoder("sharp", () => decodeImage(file))).max, 0);
});

test("files the addon leaves to sharp (PNG, CMYK, EXIF-rotated) and LAB_JPEG_DECODER=sharp give sharp's result", { skip }, async () => {
  for (const name of ["plain.png", "cmyk.jpg", "rotated.jpg"]) {
    const file = path.join(dir, name);
    const plan: DecodePlan = { extract: { top: 5, left: 9, height: 60, width: 70 }, resize: [32, 40] };
    for (const p of [{}, plan]) {
      const native = await withDecoder("native", () => decodeImage(file, p));
      const viaSharp = await withDecoder("sharp", () => decodeImage(file, p));
      assert.ok(Buffer.from(native.data).equals(Buffer.from(viaSharp.data)), `${name}: not sharp's pixels`);
    }
  }
  // The rotated file's header gives its upright size (stored 203x157, orientation 6).
  assert.deepEqual(await withDecoder("native", () => imageSize(path.join(dir, "rotated.jpg"))), { height: 203, width: 157 });
  assert.deepEqual(await withDecoder("native", () => imageSize(path.join(dir, "yuv420.jpg"))), { height: 157, width: 203 });
  // The switch really bypasses the addon: sharp's resize of a crop differs from PIL's filter somewhere.
  const file = PHOTOS[0];
  const plan: DecodePlan = { extract: { top: 0, left: 0, height: 200, width: 200 }, resize: [37, 41] };
  const viaSharp = await withDecoder("sharp", () => decodeImage(file, plan));
  const native = await withDecoder("native", () => decodeImage(file, plan));
  assert.ok(differences(native, viaSharp).max > 0, "LAB_JPEG_DECODER=sharp still used the addon");
});

test("32 decodes in flight leave the main thread free: a timer keeps ticking", { skip }, async () => {
  // A large photo, so that the decodes take long enough for a blocked event loop to show.
  const big = path.join(dir, "big.jpg");
  await sharp(path.join(dir, "yuv420.jpg")).resize(2400, 1800).jpeg({ quality: 92 }).toFile(big);
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 2);
  const started = performance.now();
  try {
    await withDecoder("native", () => Promise.all(Array.from({ length: 32 }, (_, i) => decodeImage(big, { extract: { top: i, left: i, height: 1500, width: 2000 }, resize: [224, 224] }))));
  } finally {
    clearInterval(timer);
  }
  const elapsed = performance.now() - started;
  const longest = Math.max(...gaps);
  // On the main thread the 32 decodes would be one uninterrupted block (no tick at all until the end).
  assert.ok(gaps.length >= 5, `only ${gaps.length} timer ticks in ${elapsed.toFixed(0)} ms of decoding`);
  assert.ok(longest < elapsed / 3, `the event loop stalled ${longest.toFixed(0)} ms of ${elapsed.toFixed(0)} ms`);
});

test("decodeImageInto / applyDecodePlanInto write decodeImage's float sample at the offset and nothing else; a short destination is an error", async () => {
  const { decodeImageInto, applyDecodePlanInto } = await import("../../kernel-lib/data/decode-into");
  const table = Float32Array.from({ length: 768 }, (_, i) => (i % 256) / 255 - Math.floor(i / 256));
  const plan: DecodePlan = { extract: { top: 4, left: 6, height: 90, width: 120 }, resize: [30, 40], flip: true, toFloat: table };
  const shape = [30, 40, 3] as const;
  for (const file of [PHOTOS[1], path.join(dir, "plain.png"), path.join(dir, "cmyk.jpg")]) {
    const full = await decodeImage(file);
    const writers: [string, (destination: Float32Array) => Promise<void>, Image][] = [
      ["decodeImageInto", (destination) => decodeImageInto(file, plan, destination, 3600, shape), await decodeImage(file, plan)],
      ["applyDecodePlanInto", (destination) => applyDecodePlanInto(full, plan, destination, 3600, shape), await applyDecodePlan(full, plan)],
    ];
    for (const [name, write, expected] of writers) {
      const destination = new Float32Array(3 * 3600).fill(-7);
      await write(destination);
      assert.ok(destination.subarray(0, 3600).every((v) => v === -7) && destination.subarray(7200).every((v) => v === -7), `${name} ${file}: wrote outside its slot`);
      assert.deepEqual(Array.from(destination.subarray(3600, 7200)), Array.from(expected.data), `${name} ${file}: not the sample's values`);
    }
    await assert.rejects(decodeImageInto(file, plan, new Float32Array(5000), 3600, shape), /do not fit in the destination/);
  }
});
