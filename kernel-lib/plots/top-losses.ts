/** fastai's plot_top_losses: the k samples the model got most wrong, with prediction, truth and loss. */
import type { MimeBundle } from "./display";
import { display } from "./display";
import { imageGridBundle, makeImageGrid, readImageBatch, type ImageBatch, type ImageGrid, type ImageGridOptions } from "./image-grid";
import { readLabels, type LabelInput } from "./labels";
import * as tf from "@tensorflow/tfjs";

export interface TopLossesOptions extends Omit<ImageGridOptions, "labels" | "labelColors"> {
  title?: string;
  show?: boolean;
}

export interface TopLossesResult {
  /** Sample indices, highest loss first. */
  indices: number[];
  losses: number[];
  predictions: number[];
  targets: number[];
  grid: ImageGrid;
  bundle: MimeBundle;
}

/** Indices of the k largest losses, ties broken by the lower index (stable and reproducible). */
export function topLossIndices(losses: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: losses.length }, (_, index) => index);
  order.sort((a, b) => losses[b] - losses[a] || a - b);
  return order.slice(0, Math.min(k, losses.length));
}

export async function plotTopLosses(
  images: ImageBatch,
  losses: ArrayLike<number> | tf.Tensor,
  preds: LabelInput,
  targets: LabelInput,
  classNames: readonly string[],
  k = 9,
  options: TopLossesOptions = {},
): Promise<TopLossesResult> {
  const batch = readImageBatch(images);
  const count = batch.shape[0];
  const lossValues = losses instanceof tf.Tensor ? Array.from(losses.dataSync()) : Array.from(losses);
  const predicted = readLabels(preds, "preds", classNames.length);
  const truth = readLabels(targets, "targets", classNames.length);
  for (const [name, length] of [["losses", lossValues.length], ["preds", predicted.length], ["targets", truth.length]] as const) {
    if (length !== count) throw new Error(`plotTopLosses: ${name} has ${length} entries for ${count} images; pass per-sample values (e.g. a loss with reduction "none")`);
  }
  if (!Number.isInteger(k) || k < 1) throw new Error(`plotTopLosses: k must be a positive integer, got ${k}`);
  const indices = topLossIndices(lossValues, k);
  const [, height, width, channels] = batch.shape;
  const imageSize = height * width * channels;
  const selected = new Float32Array(indices.length * imageSize);
  indices.forEach((index, slot) => {
    for (let i = 0; i < imageSize; i++) selected[slot * imageSize + i] = batch.data[index * imageSize + i];
  });
  const labels = indices.map((index) => `${classNames[predicted[index]]} / ${classNames[truth[index]]}\nloss ${lossValues[index].toFixed(2)}`);
  const colors = indices.map((index) => (predicted[index] === truth[index] ? "#1a7f37" : "#c62828"));
  const grid = makeImageGrid({ data: selected, shape: [indices.length, height, width, channels] }, { ...options, nrow: options.nrow ?? Math.min(indices.length, 5), labels });
  const bundle = await imageGridBundle(grid, labels, options.title ?? `Top ${indices.length} losses (prediction / truth)`, colors);
  if (options.show !== false) display(bundle);
  return {
    indices,
    losses: indices.map((index) => lossValues[index]),
    predictions: indices.map((index) => predicted[index]),
    targets: indices.map((index) => truth[index]),
    grid,
    bundle,
  };
}
