/**
 * splitFusable / planFusedDecode: which leading transforms a decoder takes over, and that a fused decode
 * gives what the transforms give when run one by one in JavaScript (same draws, same values).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { decodeImage, type DecodePlan } from "../../../kernel-lib/data/decode-image";
import { Generator } from "../../../kernel-lib/data/generator";
import { Image } from "../../../kernel-lib/data/image";
import { ImageFolder } from "../../../kernel-lib/data/image-folder";
import { nativeJpegStatus } from "../../../kernel-lib/data/native-jpeg";
import { Compose, Normalize, RandomHorizontalFlip, RandomResizedCrop, Resize, ToTensor, CenterCrop } from "../../../kernel-lib/data/transforms";
import { planFusedDecode, splitFusable } from "../../../kernel-lib/data/transforms/fused-decode";
import { horizontalFlip } from "../../../kernel-lib/data/transforms/random-horizontal-flip";

const SAMPLE = path.resolve(__dirname, "../../../data/hymenoptera-sample/train");
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

test("the crop, a following flip and ToTensor + Normalize fuse; subclasses, other orders and 1-channel Normalize stay in JavaScript", () => {
  const full = splitFusable(new Compose([new RandomResizedCrop(32), new RandomHorizontalFlip(), new ToTensor(), new Normalize(MEAN, STD), new CenterCrop(16)]));
  assert.ok(full?.flip && full.toFloat && full.rest instanceof Compose);
  assert.equal((full.rest as Compose).transforms.length, 1, "only CenterCrop is left");
  const table = full.toFloat;
  assert.ok(Math.abs(table[255] - (1 - MEAN[0]) / STD[0]) < 1e-6 && Math.abs(table[512] - (0 - MEAN[2]) / STD[2]) < 1e-6);

  const unit = splitFusable(new Compose([new Resize(40), new ToTensor()]));
  assert.ok(unit && !unit.flip && unit.rest === undefined);
  assert.equal(unit.toFloat?.[256 + 255], 1);

  class LoggingFlip extends RandomHorizontalFlip {}
  const subclass = splitFusable(new Compose([new RandomResizedCrop(32), new LoggingFlip(), new ToTensor()]));
  assert.ok(subclass && !subclass.flip && !subclass.toFloat, "a subclass may override apply: not fused");
  const gray = splitFusable(new Compose([new RandomResizedCrop(32), new ToTensor(), new Normalize([0.5], [0.5])]));
  assert.ok(gray?.toFloat && (gray.rest as Compose).transforms[0] instanceof Normalize, "ToTensor fuses, the 1-channel Normalize runs after");
  const flipFirst = splitFusable(new Compose([new RandomHorizontalFlip(), new RandomResizedCrop(32)]));
  assert.equal(flipFirst, undefined);
});

test("planning draws in apply's order: the crop's draws, then the flip's", () => {
  const split = splitFusable(new Compose([new RandomResizedCrop(32), new RandomHorizontalFlip(), new ToTensor()]));
  assert.ok(split);
  for (let seed = 0; seed < 20; seed++) {
    const planned = planFusedDecode(split, 300, 400, new Generator(seed));
    const byHand = new Generator(seed);
    const box = RandomResizedCrop.getParams(300, 400, [0.08, 1], [3 / 4, 4 / 3], byHand);
    assert.deepEqual(planned.extract, box);
    assert.equal(planned.flip, byHand.random() < 0.5);
  }
});

test("a plan's flip and float table give exactly the JavaScript steps' values, with the addon and with sharp", async () => {
  const file = path.join(SAMPLE, "ants", "0013035.jpg");
  const split = splitFusable(new Compose([new RandomResizedCrop(64), new RandomHorizontalFlip({ p: 1 }), new ToTensor(), new Normalize(MEAN, STD)]));
  assert.ok(split?.toFloat);
  const previous = process.env.LAB_JPEG_DECODER;
  try {
    for (const decoder of ["auto", "sharp"]) {
      process.env.LAB_JPEG_DECODER = decoder;
      const geometry: DecodePlan = { extract: { top: 20, left: 30, height: 200, width: 180 }, resize: [64, 64] };
      const fused = await decodeImage(file, { ...geometry, flip: true, toFloat: split.toFloat });
      const bytes = await decodeImage(file, geometry);
      const expected = new Compose([new ToTensor(), new Normalize(MEAN, STD)]).apply(horizontalFlip(bytes));
      assert.equal(fused.pixelType, "float32");
      assert.deepEqual(Array.from(fused.data), Array.from(expected.data), `${decoder}: fused flip + normalize differ from the JavaScript steps`);
    }
  } finally {
    if (previous === undefined) delete process.env.LAB_JPEG_DECODER;
    else process.env.LAB_JPEG_DECODER = previous;
  }
});

test("ImageFolder: the fully fused training transform matches the JavaScript path (same flips), cached or not", async () => {
  const transform = new Compose([new RandomResizedCrop(48), new RandomHorizontalFlip(), new ToTensor(), new Normalize(MEAN, STD)]);
  const fused = new ImageFolder(SAMPLE, { transform });
  const cached = new ImageFolder(SAMPLE, { transform, cacheImages: true });
  const exact = new ImageFolder(SAMPLE, { transform, fusedDecode: false });
  for (const index of [0, 3, 11, 20, 40]) {
    const [a] = await fused.getItem(index, new Generator(index));
    const [b] = await exact.getItem(index, new Generator(index));
    const [c] = await cached.getItem(index, new Generator(index));
    assert.ok(a instanceof Image && b instanceof Image && c instanceof Image);
    assert.deepEqual(a.shape, [48, 48, 3]);
    let sum = 0;
    for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]) * STD[i % 3];
    // A wrong flip would differ by tens of levels; the filters differ by a fraction of one (the addon,
    // PIL's filter) or about one (libvips' when the addon is not built).
    const tolerance = nativeJpegStatus().available ? 0.5 / 255 : 2 / 255;
    assert.ok(sum / a.data.length < tolerance, `image ${index}: mean |diff| ${((sum / a.data.length) * 255).toFixed(2)}/255`);
    if (nativeJpegStatus().available) {
      assert.deepEqual(Array.from(c.data), Array.from(a.data), `image ${index}: the cache path differs from the fused decode`);
    } else {
      let cacheSum = 0;
      for (let i = 0; i < a.data.length; i++) cacheSum += Math.abs(a.data[i] - c.data[i]) * STD[i % 3];
      assert.ok(cacheSum / a.data.length < 1 / 255, `image ${index}: the cache path differs from the fused decode`);
    }
  }
});
