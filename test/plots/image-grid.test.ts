/**
 * Image grids: each image lands in its tile, un-normalised (x * std + mean), in the PNG too; top losses
 * picks the highest-loss samples in order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import * as tf from "@tensorflow/tfjs";
import { makeImageGrid, showImages } from "../../kernel-lib/plots/image-grid";
import { plotTopLosses, topLossIndices } from "../../kernel-lib/plots/top-losses";

const mean = [0.485, 0.456, 0.406];
const std = [0.229, 0.224, 0.225];

/** Distinct colours (0..255) per image, chosen so every channel differs between images. */
function tileColor(image: number): [number, number, number] {
  return [20 + 37 * image, 200 - 23 * image, 60 + 29 * ((image * 3) % 7)];
}

/**
 * A normalised NHWC batch: image i is filled with tileColor(i), except its top-left pixel which is
 * black, so a transposed or mirrored tile would be caught.
 */
function normalizedBatch(count: number, height: number, width: number): Float32Array {
  const data = new Float32Array(count * height * width * 3);
  for (let image = 0; image < count; image++) {
    for (let pixel = 0; pixel < height * width; pixel++) {
      const rgb = pixel === 0 ? [0, 0, 0] : tileColor(image);
      for (let channel = 0; channel < 3; channel++) data[(image * height * width + pixel) * 3 + channel] = (rgb[channel] / 255 - mean[channel]) / std[channel];
    }
  }
  return data;
}

function pixelAt(pixels: Uint8Array | Buffer, width: number, x: number, y: number, channels = 3): number[] {
  const offset = (y * width + x) * channels;
  return [pixels[offset], pixels[offset + 1], pixels[offset + 2]];
}

function assertNear(actual: number[], expected: number[], what: string): void {
  actual.forEach((value, channel) => assert.ok(Math.abs(value - expected[channel]) <= 1, `${what}: got [${actual}] expected [${expected}]`));
}

test("images land in row-major tiles, un-normalised, with white padding", () => {
  const count = 5;
  const grid = makeImageGrid({ data: normalizedBatch(count, 8, 6), shape: [count, 8, 6, 3] }, { mean, std, nrow: 3, padding: 2, scale: 2 });
  assert.equal(grid.width, 2 + 3 * (12 + 2));
  assert.equal(grid.height, 2 + 2 * (16 + 2));
  for (let image = 0; image < count; image++) {
    const expectedX = 2 + (image % 3) * 14;
    const expectedY = 2 + Math.floor(image / 3) * 18;
    assert.deepEqual(grid.tiles[image], { x: expectedX, y: expectedY, width: 12, height: 16 });
    assertNear(pixelAt(grid.pixels, grid.width, expectedX + 6, expectedY + 9), tileColor(image), `image ${image} centre`);
    // The black pixel (0, 0) is upscaled to a 2x2 block at the tile's top-left corner.
    assertNear(pixelAt(grid.pixels, grid.width, expectedX + 1, expectedY + 1), [0, 0, 0], `image ${image} top-left`);
    assertNear(pixelAt(grid.pixels, grid.width, expectedX + 2, expectedY), tileColor(image), `image ${image} next to top-left`);
  }
  assert.deepEqual(pixelAt(grid.pixels, grid.width, 0, 0), [255, 255, 255], "padding");
  assert.deepEqual(pixelAt(grid.pixels, grid.width, grid.width - 1, grid.height - 1), [255, 255, 255], "unused last cell");
});

test("showImages: tensor input, class-name labels, PNG pixels at the tiles, no leaked tensors", async () => {
  const count = 4;
  const batch = tf.tensor4d(normalizedBatch(count, 32, 32), [count, 32, 32, 3]);
  const before = tf.memory().numTensors;
  const classNames = ["ant", "bee"];
  const result = await showImages(batch, [1, 0, 0, 1], { mean, std, classNames, nrow: 2, show: false });
  assert.equal(tf.memory().numTensors, before);
  batch.dispose();
  assert.deepEqual(result.labels, ["bee", "ant", "ant", "bee"]);
  const png = Buffer.from(result.bundle["image/png"] ?? "", "base64");
  const metadata = await sharp(png).metadata();
  assert.equal(metadata.width, result.grid.width);
  assert.equal(metadata.height, result.grid.height);
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  result.grid.tiles.forEach((tile, image) => {
    assertNear(pixelAt(data, info.width, tile.x + tile.width / 2, tile.y + tile.height / 2, info.channels), tileColor(image), `PNG tile ${image}`);
  });
  // Labels are drawn under the tiles: the band below tile 0 has dark text pixels.
  const band = result.grid.tiles[0];
  let darkPixels = 0;
  for (let y = band.y + band.height; y < band.y + band.height + 16; y++) {
    for (let x = band.x; x < band.x + band.width; x++) if (pixelAt(data, info.width, x, y, info.channels)[0] < 128) darkPixels++;
  }
  assert.ok(darkPixels > 10, "label text drawn below the first tile");
  assert.match(result.bundle["text/html"] ?? "", /<img src="data:image\/png;base64,/);
});

test("NCHW or mismatched input is rejected with the fix", () => {
  assert.throws(() => makeImageGrid({ data: new Float32Array(2 * 3 * 4 * 4), shape: [2, 3, 4, 4] }), /NCHW.*transpose/);
  assert.throws(() => makeImageGrid({ data: new Float32Array(10), shape: [1, 2, 2, 3] }), /needs 12/);
  assert.throws(() => makeImageGrid({ data: new Float32Array(12), shape: [1, 2, 2, 3] }, { mean: [0, 0] }), /mean: expected 3/);
});

test("top losses shows the k highest losses, highest first", async () => {
  const count = 6;
  const losses = [0.2, 2.5, 0.1, 3.1, 0.9, 2.5];
  const indices = topLossIndices(losses, 3);
  // Independent: sort (loss, index) pairs descending by loss, ascending by index.
  const expected = losses.map((loss, index) => ({ loss, index })).sort((a, b) => (b.loss !== a.loss ? b.loss - a.loss : a.index - b.index)).slice(0, 3).map((entry) => entry.index);
  assert.deepEqual(indices, expected);
  const result = await plotTopLosses({ data: normalizedBatch(count, 8, 8), shape: [count, 8, 8, 3] }, losses, [0, 1, 0, 1, 0, 0], [0, 0, 0, 1, 1, 1], ["ant", "bee"], 3, { mean, std, show: false });
  assert.deepEqual(result.indices, expected);
  assert.deepEqual(result.losses, [3.1, 2.5, 2.5]);
  result.grid.tiles.forEach((tile, slot) => {
    assertNear(pixelAt(result.grid.pixels, result.grid.width, tile.x + tile.width / 2, tile.y + tile.height / 2), tileColor(expected[slot]), `slot ${slot}`);
  });
  assert.match(result.bundle["text/plain"], /bee \/ bee loss 3\.10, bee \/ ant loss 2\.50, ant \/ bee loss 2\.50/);
  await assert.rejects(() => plotTopLosses({ data: normalizedBatch(2, 8, 8), shape: [2, 8, 8, 3] }, [1], [0, 0], [0, 0], ["a"], 1), /losses has 1 entries for 2 images/);
});

test("top losses from tensors (images, per-sample losses, labels) leaves the tensor count unchanged", async () => {
  const count = 4;
  const images = tf.tensor4d(normalizedBatch(count, 8, 8), [count, 8, 8, 3]);
  const losses = tf.tensor1d([0.5, 0.1, 0.9, 0.3]);
  const preds = tf.tensor1d([1, 0, 0, 1], "int32");
  const targets = tf.tensor1d([0, 0, 1, 1], "int32");
  const before = tf.memory().numTensors;
  const result = await plotTopLosses(images, losses, preds, targets, ["ant", "bee"], 2, { mean, std, show: false });
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([images, losses, preds, targets]);
  assert.deepEqual(result.indices, [2, 0]);
  assert.deepEqual(result.predictions, [0, 1]);
  assert.deepEqual(result.targets, [1, 0]);
  assertNear(pixelAt(result.grid.pixels, result.grid.width, result.grid.tiles[0].x + result.grid.tiles[0].width / 2, result.grid.tiles[0].y + result.grid.tiles[0].height / 2), tileColor(2), "first slot shows image 2");
});
