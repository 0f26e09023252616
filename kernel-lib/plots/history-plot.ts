/** Loss and accuracy curves, train vs validation, from the per-epoch records the training loop returns. */
import type { Chart, LineTrace } from "./chart-spec";
import type { MimeBundle } from "./display";
import { showFigure, type ShowOptions } from "./figure";

/**
 * The fields of a training-history record this plot reads: `fit`'s EpochRecord fits as is (0-based
 * `epoch`, shown 1-based like the progress table). Accuracies are fractions in [0, 1] (shown as percent)
 * or already percent; the short names trainAcc/valAcc are accepted too.
 */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy?: number;
  trainAcc?: number;
  valLoss?: number;
  valAccuracy?: number;
  valAcc?: number;
}

function trainAccuracyOf(record: EpochMetrics): number | undefined {
  return record.trainAccuracy ?? record.trainAcc;
}

function valAccuracyOf(record: EpochMetrics): number | undefined {
  return record.valAccuracy ?? record.valAcc;
}

export interface HistoryPlot {
  /** `epoch` of the record with the best validation accuracy (train accuracy without validation). */
  bestEpoch: number;
  /** Accuracy at bestEpoch in percent. */
  bestAccuracy: number;
  charts: Chart[];
  bundle: MimeBundle;
}

function percentScale(values: Array<number | undefined>): number {
  const known = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
  return known.length > 0 && Math.max(...known) <= 1 ? 100 : 1;
}

export async function plotHistory(history: readonly EpochMetrics[], options: ShowOptions & { title?: string } = {}): Promise<HistoryPlot> {
  if (!Array.isArray(history) || history.length === 0) throw new Error("plotHistory: history is empty; pass the array that fit() returned after at least one epoch");
  // fit() numbers epochs from 0; people (and the progress table) count from 1.
  const epochs = history.map((record) => record.epoch + 1);
  const hasValidation = history.some((record) => record.valLoss !== undefined || valAccuracyOf(record) !== undefined);
  const scale = percentScale(history.flatMap((record) => [trainAccuracyOf(record), valAccuracyOf(record)]));
  // Markers help read a few epochs; on long runs they only clutter the line.
  const mode = history.length <= 60 ? "lines+markers" : "lines";
  const optional = (value: number | undefined, factor = 1): number | null => (value === undefined ? null : value * factor);
  const lossTraces: LineTrace[] = [{ type: "scatter", name: "train loss", x: epochs, y: history.map((record) => record.trainLoss), mode }];
  const accuracyTraces: LineTrace[] = [{ type: "scatter", name: "train acc", x: epochs, y: history.map((record) => optional(trainAccuracyOf(record), scale)), mode }];
  if (hasValidation) {
    lossTraces.push({ type: "scatter", name: "val loss", x: epochs, y: history.map((record) => optional(record.valLoss)), mode });
    accuracyTraces.push({ type: "scatter", name: "val acc", x: epochs, y: history.map((record) => optional(valAccuracyOf(record), scale)), mode });
  }
  const accuracyOf = (record: EpochMetrics): number => ((hasValidation ? valAccuracyOf(record) : trainAccuracyOf(record)) ?? Number.NEGATIVE_INFINITY) * scale;
  let best = history[0];
  for (const record of history) if (accuracyOf(record) > accuracyOf(best)) best = record;
  const prefix = options.title ? `${options.title}: ` : "";
  const charts: Chart[] = [
    { traces: lossTraces, layout: { title: `${prefix}loss`, xaxis: { title: "epoch" }, yaxis: { title: "loss" }, width: 520, height: 380 } },
    {
      traces: accuracyTraces,
      layout: { title: `${prefix}accuracy (best ${hasValidation ? "val" : "train"} ${accuracyOf(best).toFixed(1)}% at epoch ${best.epoch + 1})`, xaxis: { title: "epoch" }, yaxis: { title: "accuracy (%)" }, width: 520, height: 380 },
    },
  ];
  const bundle = await showFigure(charts, options);
  return { bestEpoch: best.epoch, bestAccuracy: accuracyOf(best), charts, bundle };
}
