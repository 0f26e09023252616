import { test } from "node:test";
import assert from "node:assert/strict";
import { Generator } from "../../../kernel-lib/data/generator";
import { Image } from "../../../kernel-lib/data/image";
import { ColorJitter, RandAugment, RAND_AUGMENT_OPS, ToTensor, applyRandAugmentOp, functional as F } from "../../../kernel-lib/data/transforms";

function noise(height = 16, width = 16, seed = 1): Image {
  const g = new Generator(seed);
  return new Image(Uint8Array.from({ length: height * width * 3 }, () => g.randint(0, 256)), height, width);
}

test("ColorJitter draws factors in torchvision's ranges, in a random order, and repeats with the generator", () => {
  const jitter = new ColorJitter({ brightness: 0.4, contrast: [0.5, 0.9], saturation: 2, hue: 0.1 });
  assert.deepEqual(jitter.brightness, [0.6, 1.4]);
  assert.deepEqual(jitter.saturation, [0, 3], "1 - 2 is clipped to 0");
  assert.deepEqual(jitter.hue, [-0.1, 0.1]);
  const generator = new Generator(5);
  const orders = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const { order, factors } = ColorJitter.getParams(jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue, generator);
    orders.add(order.join(""));
    assert.deepEqual([...order].sort(), [0, 1, 2, 3]);
    assert.ok(factors[0]! >= 0.6 && factors[0]! < 1.4);
    assert.ok(factors[1]! >= 0.5 && factors[1]! < 0.9);
    assert.ok(factors[3]! >= -0.1 && factors[3]! < 0.1);
  }
  assert.ok(orders.size > 15, `only ${orders.size} of 24 orders seen`);
  const image = noise();
  assert.deepEqual(Array.from(jitter.apply(image, new Generator(3)).data), Array.from(jitter.apply(image, new Generator(3)).data));
  // The composition equals the functional ops applied in the drawn order with the drawn factors.
  const { order, factors } = ColorJitter.getParams(jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue, new Generator(3));
  let expected = image;
  const ops = [F.adjustBrightness, F.adjustContrast, F.adjustSaturation, F.adjustHue];
  for (const k of order) expected = ops[k](expected, factors[k]!);
  assert.deepEqual(Array.from(jitter.apply(image, new Generator(3)).data), Array.from(expected.data));
});

test("ColorJitter with nothing to jitter is the identity; bad ranges are explained", () => {
  const image = noise();
  assert.deepEqual(Array.from(new ColorJitter({ brightness: 0, hue: 0 }).apply(image, new Generator(1)).data), Array.from(image.data));
  assert.throws(() => new ColorJitter({ hue: 0.7 }), /hue range \[-0.7,0.7\] must lie within \[-0.5, 0.5\]/);
  assert.throws(() => new ColorJitter({ brightness: -1 }), /brightness must be non-negative/);
  const asFloat = new ToTensor().apply(image);
  const out = new ColorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.2 }).apply(asFloat, new Generator(2));
  assert.equal(out.pixelType, "float32");
  assert.ok(out.data.every((v) => v >= 0 && v <= 1));
});

test("RandAugment applies numOps ops from all 14, is seeded, and needs uint8 input", () => {
  const image = noise(24, 24);
  const augment = new RandAugment();
  const a = augment.apply(image, new Generator(11));
  assert.deepEqual(Array.from(augment.apply(image, new Generator(11)).data), Array.from(a.data));
  assert.deepEqual(a.shape, [24, 24, 3]);
  // Which ops run: replay the draws (op index, then a sign for signed ops) for many seeds.
  const seen = new Set<number>();
  const generator = new Generator(0);
  for (let i = 0; i < 400; i++) seen.add(generator.randint(0, RAND_AUGMENT_OPS.length));
  assert.equal(seen.size, 14);
  assert.deepEqual(Array.from(new RandAugment({ numOps: 0 }).apply(image, new Generator(1)).data), Array.from(image.data));
  assert.throws(() => augment.apply(new ToTensor().apply(image)), /put it before ToTensor\(\)/);
  assert.throws(() => new RandAugment({ magnitude: 31 }), /magnitude must be an integer bin in 0..30/);
  assert.throws(() => applyRandAugmentOp(image, "Blur" as "Identity", 1), /unknown operation "Blur"/);
});

test("RandomErasing fills a box of the drawn size with the value, only on float32 images", async () => {
  const { RandomErasing } = await import("../../../kernel-lib/data/transforms");
  const image = new ToTensor().apply(noise(40, 50));
  const erasing = new RandomErasing({ p: 1, value: [0.25, 0.5, 0.75] });
  const box = RandomErasing.getParams(40, 50, erasing.scale, erasing.ratio, (() => { const g = new Generator(8); g.random(); return g; })())!;
  const out = erasing.apply(image, new Generator(8));
  let erased = 0;
  for (let y = 0; y < 40; y++) {
    for (let x = 0; x < 50; x++) {
      const inside = y >= box.top && y < box.top + box.height && x >= box.left && x < box.left + box.width;
      const o = (y * 50 + x) * 3;
      if (inside) {
        assert.deepEqual(Array.from(out.data.subarray(o, o + 3)), [0.25, 0.5, 0.75]);
        erased++;
      } else {
        assert.deepEqual(Array.from(out.data.subarray(o, o + 3)), Array.from(image.data.subarray(o, o + 3)));
      }
    }
  }
  const fraction = erased / (40 * 50);
  assert.ok(fraction >= 0.015 && fraction <= 0.35, `erased fraction ${fraction}`);
  assert.equal(new RandomErasing({ p: 0 }).apply(image, new Generator(1)), image);
  assert.equal(RandomErasing.getParams(4, 4, [0.9, 1], [1, 1], new Generator(1)), null, "a box as large as the image never fits: unchanged");
  assert.throws(() => new RandomErasing().apply(noise()), /put it after ToTensor\(\)/);
  const noisy = new RandomErasing({ p: 1, value: "random" }).apply(image, new Generator(3));
  assert.ok(noisy.data.some((v) => v < 0), "normal noise reaches negative values");
});
