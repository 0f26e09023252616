import { test } from "node:test";
import assert from "node:assert/strict";
import { Generator } from "../../../kernel-lib/data/generator";
import { Image } from "../../../kernel-lib/data/image";
import {
  CenterCrop,
  Compose,
  MultiView,
  Normalize,
  RandomCrop,
  RandomHorizontalFlip,
  RandomResizedCrop,
  Resize,
  ToTensor,
} from "../../../kernel-lib/data/transforms";
import { crop, resizedCrop } from "../../../kernel-lib/data/transforms/functional";
import { roundHalfEven } from "../../../kernel-lib/data/transforms/python-round";
import { resizedOutputSize } from "../../../kernel-lib/data/transforms/resize";

function patterned(height: number, width: number): Image {
  const data = new Uint8Array(height * width * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 5)) & 255;
  return new Image(data, height, width);
}

test("roundHalfEven matches Python's round", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001, 3].map(roundHalfEven), [0, 2, 2, 4, 2, 3, 3]);
});

test("Resize output size follows torchvision (shorter side, truncated longer side, maxSize)", () => {
  assert.deepEqual(resizedOutputSize(375, 500, 256), [256, 341]); // int(256*500/375) = 341
  assert.deepEqual(resizedOutputSize(500, 333, 224), [336, 224]); // int(224*500/333) = 336
  assert.deepEqual(resizedOutputSize(100, 1000, 50, 200), [20, 200]);
  assert.deepEqual(new Resize(8).apply(patterned(8, 20)).shape, [8, 20, 3], "already the right size: unchanged");
  assert.throws(() => new Resize(0), /positive integer/);
});

test("resizing a constant image keeps it constant; identity size returns the same pixels", () => {
  const flat = new Image(new Uint8Array(30 * 40 * 3).fill(200), 30, 40);
  const small = resizedCrop(flat, 3, 4, 20, 30, 7, 9);
  assert.ok(small.data.every((v) => v === 200));
  const image = patterned(10, 12);
  assert.deepEqual(Array.from(resizedCrop(image, 0, 0, 10, 12, 10, 12).data), Array.from(image.data));
  assert.throws(() => resizedCrop(image, 5, 0, 10, 12, 4, 4), /not inside/);
});

test("RandomResizedCrop boxes respect scale and ratio, repeat with the seed, and fall back for extreme shapes", () => {
  const generator = new Generator(3);
  for (let i = 0; i < 500; i++) {
    const box = RandomResizedCrop.getParams(375, 500, [0.08, 1], [3 / 4, 4 / 3], generator);
    assert.ok(box.top >= 0 && box.left >= 0 && box.top + box.height <= 375 && box.left + box.width <= 500);
    const area = (box.height * box.width) / (375 * 500);
    assert.ok(area > 0.07 && area <= 1.0, `area fraction ${area}`);
    const ratio = box.width / box.height;
    assert.ok(ratio > 0.7 && ratio < 1.45, `ratio ${ratio}`);
  }
  const a = RandomResizedCrop.getParams(375, 500, [0.08, 1], [3 / 4, 4 / 3], new Generator(11));
  const b = RandomResizedCrop.getParams(375, 500, [0.08, 1], [3 / 4, 4 / 3], new Generator(11));
  assert.deepEqual(a, b);
  // Expected boxes computed with torchvision 0.14 RandomResizedCrop.get_params on the same shapes.
  // A 10x1000 strip: no crop with ratio <= 4/3 can have 8% of the area, so the 10 tries fail and the
  // fallback takes the full height and width round(10 * 4/3) = 13, centered.
  assert.deepEqual(RandomResizedCrop.getParams(10, 1000, [0.08, 1], [3 / 4, 4 / 3], new Generator(1)), { top: 0, left: 493, height: 10, width: 13 });
  assert.deepEqual(RandomResizedCrop.getParams(1000, 10, [0.08, 1], [3 / 4, 4 / 3], new Generator(1)), { top: 493, left: 0, height: 13, width: 10 });
  // In-range aspect but scale too large to fit: the whole image.
  assert.deepEqual(RandomResizedCrop.getParams(30, 30, [1.5, 2], [1, 1], new Generator(1)), { top: 0, left: 0, height: 30, width: 30 });
});

test("RandomResizedCrop.apply is the resized crop of the box its generator draws", () => {
  const image = patterned(60, 80);
  const transform = new RandomResizedCrop(24);
  const box = RandomResizedCrop.getParams(60, 80, transform.scale, transform.ratio, new Generator(5));
  const expected = resizedCrop(image, box.top, box.left, box.height, box.width, 24, 24);
  assert.deepEqual(Array.from(transform.apply(image, new Generator(5)).data), Array.from(expected.data));
  const own = new RandomResizedCrop([24, 24], { generator: new Generator(5) });
  assert.deepEqual(Array.from(own.apply(image).data), Array.from(expected.data));
});

test("RandomCrop pads, crops uniformly, supports padIfNeeded and explains a crop that cannot fit", () => {
  const image = patterned(32, 32);
  const transform = new RandomCrop(32, { padding: 4 });
  const generator = new Generator(9);
  const seen = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const out = transform.apply(image, generator);
    assert.deepEqual(out.shape, [32, 32, 3]);
    // Find the offset: the image's pixel (0,0) moves to (4 - top, 4 - left) inside the output when visible.
    seen.add(String(out.data[0]));
  }
  assert.ok(seen.size > 5, "crops land at different offsets");
  // Each of the 9x9 offsets: out == crop(padded, top, left); check one draw explicitly.
  const draw = new Generator(42);
  const expectedTop = new Generator(42).randint(0, 9);
  const out = transform.apply(image, draw);
  const padded = new Image(new Uint8Array(40 * 40 * 3), 40, 40);
  for (let y = 0; y < 32; y++) padded.data.set(image.data.subarray(y * 96, (y + 1) * 96), ((y + 4) * 40 + 4) * 3);
  const secondDraw = new Generator(42);
  secondDraw.randint(0, 9);
  const expectedLeft = secondDraw.randint(0, 9);
  assert.deepEqual(Array.from(out.data), Array.from(crop(padded, expectedTop, expectedLeft, 32, 32).data));

  assert.deepEqual(new RandomCrop([40, 50], { padIfNeeded: true }).apply(image, new Generator(1)).shape, [40, 50, 3]);
  assert.throws(() => new RandomCrop(40).apply(image), /crop 40x40 is larger than the 32x32 image; pass padding or padIfNeeded/);
  assert.throws(() => new RandomCrop(4, { paddingMode: "wrap" as "edge" }), /paddingMode must be/);
});

test("RandomHorizontalFlip flips with probability p", () => {
  const image = patterned(2, 3);
  const flipped = new RandomHorizontalFlip({ p: 1 }).apply(image);
  assert.deepEqual(Array.from(flipped.data.subarray(0, 3)), Array.from(image.data.subarray(6, 9)));
  assert.equal(new RandomHorizontalFlip({ p: 0 }).apply(image), image);
  const generator = new Generator(2);
  const half = new RandomHorizontalFlip();
  let flips = 0;
  for (let i = 0; i < 2000; i++) if (half.apply(image, generator) !== image) flips++;
  assert.ok(Math.abs(flips / 2000 - 0.5) < 0.05, `flip rate ${flips / 2000}`);
});

test("ToTensor, Normalize, CenterCrop, Compose and MultiView", () => {
  const image = patterned(6, 8);
  const pipeline = new Compose([new CenterCrop(4), new ToTensor(), new Normalize([0.5, 0.5, 0.5], [0.25, 0.5, 1])]);
  const out = pipeline.apply(image);
  assert.equal(out.pixelType, "float32");
  assert.deepEqual(out.shape, [4, 4, 3]);
  // CenterCrop(4) of 6x8: top = round(1) = 1, left = round(2) = 2.
  const first = image.data[(1 * 8 + 2) * 3 + 1];
  assert.ok(Math.abs(out.data[1] - (first / 255 - 0.5) / 0.5) < 1e-6);
  assert.throws(() => new ToTensor().apply(out), /already float32/);
  assert.throws(() => new Normalize([0.5], [0.5]).apply(image), /put ToTensor\(\) before Normalize/);
  assert.throws(() => new Normalize([0.5, 0.5, 0.5], [1, 0, 1]), /zero/);
  assert.throws(() => new Compose([{} as unknown as ToTensor]), /item 0 is not a transform/);
  assert.throws(() => new ToTensor().apply([image] as unknown as Image), /expected an Image/);

  const views = new MultiView([new RandomCrop(4), new RandomCrop(4)]).apply(image, new Generator(4));
  assert.equal(views.length, 2);
  assert.notDeepEqual(Array.from(views[0].data), Array.from(views[1].data), "views are augmented independently");
});

test("paddedCrop equals crop(pad(...)) for every mode, box and padding wider than the image", async () => {
  const { pad, paddedCrop } = await import("../../../kernel-lib/data/transforms/pad");
  const image = patterned(5, 7);
  const fill = [9, 99, 199];
  for (const mode of ["constant", "edge", "reflect", "symmetric"] as const) {
    for (const padding of [[4, 4, 4, 4], [0, 2, 9, 1], [12, 11, 3, 0]] as [number, number, number, number][]) {
      const padded = pad(image, padding, fill, mode);
      for (const [top, left, height, width] of [[0, 0, padded.height, padded.width], [1, 2, 3, 4], [padded.height - 5, padded.width - 7, 5, 7]]) {
        const expected = crop(padded, top, left, height, width);
        const actual = paddedCrop(image, padding, fill, mode, top, left, height, width);
        assert.deepEqual(Array.from(actual.data), Array.from(expected.data), `${mode} ${padding} box ${top},${left},${height}x${width}`);
      }
    }
  }
  assert.throws(() => paddedCrop(image, [1, 1, 1, 1], 0, "edge", 2, 0, 6, 3), /not inside the 7x9 padded image/);
  // RandomCrop with padding (the path that skips the padded image) draws like torchvision: top, then left.
  const transform = new RandomCrop(5, { padding: [2, 3], paddingMode: "reflect" });
  const draws = new Generator(7);
  const top = draws.randint(0, 5 + 6 - 5 + 1);
  const left = draws.randint(0, 7 + 4 - 5 + 1);
  assert.deepEqual(Array.from(transform.apply(image, new Generator(7)).data), Array.from(crop(pad(image, [2, 3], 0, "reflect"), top, left, 5, 5).data));
  // Padding that makes the image exactly the crop size: no draw, the padded image itself.
  const generator = new Generator(3);
  const state = generator.getState();
  assert.deepEqual(Array.from(new RandomCrop([7, 9], { padding: 1 }).apply(image, generator).data), Array.from(pad(image, 1).data));
  assert.deepEqual(generator.getState(), state, "nothing drawn");
});

test("ToTensor gives v / 255 in float32 for every byte value", () => {
  const all = new Image(Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256), 16, 16);
  const out = new ToTensor().apply(all);
  for (let i = 0; i < all.data.length; i++) assert.equal(out.data[i], Math.fround(all.data[i] / 255));
});

test("Compose runs ToTensor + Normalize as one pass with bit-identical results and the same errors", () => {
  const values = new Image(Uint8Array.from({ length: 256 * 3 }, (_, i) => (i * 7) % 256), 16, 16);
  const toTensor = new ToTensor();
  const normalize = new Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
  const separate = normalize.apply(toTensor.apply(values));
  const composed = new Compose([new CenterCrop(16), toTensor, normalize]);
  assert.deepEqual(Array.from(composed.apply(values).data), Array.from(separate.data));
  assert.equal(composed.transforms.length, 3, "the list stays as given");
  // The fused pass really replaces the two steps: neither is called for a uint8 RGB image.
  let stepCalls = 0;
  const spy = <T extends { apply(image: Image): Image }>(transform: T): void => {
    const original = transform.apply.bind(transform);
    transform.apply = (image: Image) => {
      stepCalls++;
      return original(image);
    };
  };
  spy(toTensor);
  spy(normalize);
  composed.apply(values);
  assert.equal(stepCalls, 0);
  assert.throws(() => composed.apply(separate), /already float32/);
  const oneChannel = new Compose([new ToTensor(), new Normalize([0.5], [0.5])]);
  assert.throws(() => oneChannel.apply(values), /image has 3 channels but mean\/std have 1 values/);
});
