/**
 * torchvision's make_grid + matplotlib's imshow for a batch: un-normalises (x * std + mean), tiles the
 * images row by row with optional labels under each, and shows the result as one PNG.
 */
import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import type { MimeBundle } from "./display";
import { display } from "./display";
import { readLabels, type LabelInput } from "./labels";
import { escapeXml } from "./svg-chart";

/** A batch as plain numbers: NHWC, channels 1 or 3. */
export interface ImageArray {
  data: ArrayLike<number>;
  shape: [number, number, number, number];
}

export type ImageBatch = tf.Tensor4D | ImageArray;

export interface ImageGridOptions {
  /** Per-channel mean/std that Normalize applied (e.g. ImageNet's); identity when absent. */
  mean?: number[];
  std?: number[];
  /** Pixel value that means full intensity after un-normalising: 1 for ToTensor-style data, 255 for raw bytes. */
  maxValue?: number;
  /** Images per grid row (torchvision's make_grid name); default min(8, batch size). */
  nrow?: number;
  /** Pixels between tiles. */
  padding?: number;
  /** Integer upscale of each image; default makes tiles at least ~96 px (CIFAR's 32 px → 96 px). */
  scale?: number;
  /** Text under each tile; "\n" separates lines. */
  labels?: string[];
  /** CSS colour per label (e.g. red for wrong predictions). */
  labelColors?: string[];
}

export interface TilePlacement {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ImageGrid {
  /** Interleaved RGB bytes, row-major. */
  pixels: Uint8Array;
  width: number;
  height: number;
  /** Where each image landed (its label band lies below it). */
  tiles: TilePlacement[];
  scale: number;
}

const LABEL_LINE_HEIGHT = 15;

/** Reads a batch into numbers; tensors are read, never disposed (the caller owns them). */
export function readImageBatch(images: ImageBatch, argumentName = "images"): ImageArray {
  let data: ArrayLike<number>;
  let shape: number[];
  if (images instanceof tf.Tensor) {
    shape = images.shape;
    if (images.rank !== 4) throw new Error(`${argumentName}: expected an NHWC tf.Tensor4D, got shape [${shape.join(", ")}]`);
    data = images.dataSync();
  } else {
    shape = images.shape;
    data = images.data;
  }
  if (shape.length !== 4) throw new Error(`${argumentName}: shape must be [batch, height, width, channels], got [${shape.join(", ")}]`);
  const [count, height, width, channels] = shape;
  if (channels !== 1 && channels !== 3) {
    const hint = shape[1] === 1 || shape[1] === 3 ? " It looks like NCHW (PyTorch layout): transpose with [0, 2, 3, 1] first." : "";
    throw new Error(`${argumentName}: last dimension must be 1 or 3 channels (NHWC), got shape [${shape.join(", ")}].${hint}`);
  }
  if (data.length !== count * height * width * channels) throw new Error(`${argumentName}: data has ${data.length} values but shape [${shape.join(", ")}] needs ${count * height * width * channels}`);
  return { data, shape: [count, height, width, channels] };
}

function channelParameters(values: number[] | undefined, fallback: number, channels: number, name: string): number[] {
  if (values === undefined) return new Array<number>(channels).fill(fallback);
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels) throw new Error(`${name}: expected ${channels} values (one per channel) or 1, got ${values.length}`);
  return values;
}

export function makeImageGrid(images: ImageBatch, options: ImageGridOptions = {}): ImageGrid {
  const batch = readImageBatch(images);
  const [count, height, width, channels] = batch.shape;
  if (count === 0) throw new Error("images: the batch is empty");
  const mean = channelParameters(options.mean, 0, channels, "mean");
  const std = channelParameters(options.std, 1, channels, "std");
  const maxValue = options.maxValue ?? 1;
  const columns = Math.max(1, Math.min(options.nrow ?? 8, count));
  const rows = Math.ceil(count / columns);
  const padding = options.padding ?? 2;
  // Tiles of at least ~96 px, wider when labels are long, so small images (CIFAR's 32 px) stay readable.
  const longestLabelLine = Math.max(0, ...(options.labels ?? []).flatMap((text) => text.split("\n").map((line) => line.length)));
  const targetTileSize = Math.max(96, longestLabelLine * 7);
  const scale = options.scale ?? Math.max(1, Math.round(targetTileSize / Math.max(height, width)));
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`scale must be a positive integer, got ${scale}`);
  if (options.labels && options.labels.length !== count) throw new Error(`labels: got ${options.labels.length} labels for ${count} images`);
  const labelLines = options.labels ? Math.max(...options.labels.map((text) => text.split("\n").length)) : 0;
  const labelBand = labelLines === 0 ? 0 : labelLines * LABEL_LINE_HEIGHT + 4;
  const tileWidth = width * scale;
  const tileHeight = height * scale;
  const gridWidth = padding + columns * (tileWidth + padding);
  const gridHeight = padding + rows * (tileHeight + labelBand + padding);
  const pixels = new Uint8Array(gridWidth * gridHeight * 3).fill(255);
  const tiles: TilePlacement[] = [];
  const imageSize = height * width * channels;
  for (let image = 0; image < count; image++) {
    const originX = padding + (image % columns) * (tileWidth + padding);
    const originY = padding + Math.floor(image / columns) * (tileHeight + labelBand + padding);
    tiles.push({ x: originX, y: originY, width: tileWidth, height: tileHeight });
    for (let row = 0; row < height; row++) {
      for (let column = 0; column < width; column++) {
        const source = image * imageSize + (row * width + column) * channels;
        const rgb = [0, 0, 0];
        for (let channel = 0; channel < 3; channel++) {
          const c = channels === 1 ? 0 : channel;
          const value = ((batch.data[source + c] * std[c] + mean[c]) / maxValue) * 255;
          rgb[channel] = Math.max(0, Math.min(255, Math.round(value)));
        }
        // Nearest-neighbour upscaling keeps small images crisp (no smoothing that hides pixels).
        for (let dy = 0; dy < scale; dy++) {
          let target = ((originY + row * scale + dy) * gridWidth + originX + column * scale) * 3;
          for (let dx = 0; dx < scale; dx++, target += 3) {
            pixels[target] = rgb[0];
            pixels[target + 1] = rgb[1];
            pixels[target + 2] = rgb[2];
          }
        }
      }
    }
  }
  return { pixels, width: gridWidth, height: gridHeight, tiles, scale };
}

function labelOverlay(grid: ImageGrid, labels: string[], colors: string[] | undefined): string {
  const texts = labels.flatMap((text, index) => {
    const tile = grid.tiles[index];
    const longestLine = Math.max(...text.split("\n").map((line) => line.length), 1);
    // About 0.6 em per character in DejaVu Sans: shrink long labels to the tile width.
    const fontSize = Math.max(7, Math.min(12, tile.width / (0.6 * longestLine)));
    return text.split("\n").map(
      (line, lineIndex) =>
        `<text x="${tile.x + tile.width / 2}" y="${tile.y + tile.height + 13 + lineIndex * LABEL_LINE_HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif" ` +
        `font-size="${fontSize}" text-anchor="middle" fill="${colors?.[index] ?? "#222222"}">${escapeXml(line)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${grid.width}" height="${grid.height}">${texts.join("")}</svg>`;
}

/** PNG of the grid with its labels drawn under the tiles. */
export async function imageGridPng(grid: ImageGrid, labels?: string[], labelColors?: string[]): Promise<Buffer> {
  const raw = sharp(Buffer.from(grid.pixels.buffer, grid.pixels.byteOffset, grid.pixels.length), { raw: { width: grid.width, height: grid.height, channels: 3 } });
  if (!labels || labels.length === 0) return raw.png().toBuffer();
  return raw.composite([{ input: Buffer.from(labelOverlay(grid, labels, labelColors)), left: 0, top: 0 }]).png().toBuffer();
}

export interface ShowImagesOptions extends Omit<ImageGridOptions, "labels"> {
  /** Names for class-index labels (e.g. dataset.classes). */
  classNames?: readonly string[];
  title?: string;
  show?: boolean;
}

export interface ImageGridResult {
  grid: ImageGrid;
  labels: string[] | undefined;
  bundle: MimeBundle;
}

function labelTexts(labels: LabelInput | readonly string[] | undefined, classNames: readonly string[] | undefined): string[] | undefined {
  if (labels === undefined) return undefined;
  if (Array.isArray(labels) && labels.every((label) => typeof label === "string")) return labels as string[];
  const indices = readLabels(labels as LabelInput, "labels", classNames?.length);
  return indices.map((index) => (classNames ? classNames[index] : String(index)));
}

/** Renders a grid as a display bundle (PNG, an <img> for HTML, a text line). */
export async function imageGridBundle(grid: ImageGrid, labels: string[] | undefined, title: string, labelColors?: string[]): Promise<MimeBundle> {
  const png = (await imageGridPng(grid, labels, labelColors)).toString("base64");
  const caption = labels ? `: ${labels.map((label) => label.replace(/\n/g, " ")).join(", ")}` : "";
  return {
    "text/plain": `${title} (${grid.tiles.length} images, ${grid.width}x${grid.height} px)${caption}`,
    "text/html": `<figure style="margin:0"><figcaption style="font-weight:bold;margin:4px 0">${escapeXml(title)}</figcaption><img src="data:image/png;base64,${png}" width="${grid.width}" height="${grid.height}" alt="${escapeXml(title)}"/></figure>`,
    "image/png": png,
  };
}

/** Shows a batch as an image grid; `labels` are class indices (named through classNames) or strings. */
export async function showImages(images: ImageBatch, labels?: LabelInput | readonly string[], options: ShowImagesOptions = {}): Promise<ImageGridResult> {
  const texts = labelTexts(labels, options.classNames);
  const grid = makeImageGrid(images, { ...options, labels: texts });
  const bundle = await imageGridBundle(grid, texts, options.title ?? "Images", options.labelColors);
  if (options.show !== false) display(bundle);
  return { grid, labels: texts, bundle };
}
