/** Loss and accuracy curves, train vs validation, from the per-epoch records the training loop returns. */
import type { Chart, LineTrace } from "./chart-spec";
import type { MimeBundle } from "./display";
import { showFigure, type ShowOptions } from "./figure";

/** The fields of a training-history record this plot reads (the loop's records have more). */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  /** Fraction in [0, 1] or percent; fractions are shown as percent. */
  trainAcc: number;
  valLoss?: number;
  valAcc?: number;
}

export interface HistoryPlot {
  /** Epoch with the best validation accuracy (or lowest train loss when there is no validation). */
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
  const epochs = history.map((record) => record.epoch);
  const hasValidation = history.some((record) => record.valLoss !== undefined || record.valAcc !== undefined);
  const scale = percentScale(history.flatMap((record) => [record.trainAcc, record.valAcc]));
  const optional = (value: number | undefined): number | null => (value === undefined ? null : value);
  const lossTraces: LineTrace[] = [{ type: "scatter", name: "train loss", x: epochs, y: history.map((record) => record.trainLoss), mode: "lines+markers" }];
  const accuracyTraces: LineTrace[] = [{ type: "scatter", name: "train acc", x: epochs, y: history.map((record) => record.trainAcc * scale), mode: "lines+markers" }];
  if (hasValidation) {
    lossTraces.push({ type: "scatter", name: "val loss", x: epochs, y: history.map((record) => optional(record.valLoss)), mode: "lines+markers" });
    accuracyTraces.push({ type: "scatter", name: "val acc", x: epochs, y: history.map((record) => (record.valAcc === undefined ? null : record.valAcc * scale)), mode: "lines+markers" });
  }
  const accuracyOf = (record: EpochMetrics): number => (hasValidation ? (record.valAcc ?? Number.NEGATIVE_INFINITY) : record.trainAcc) * scale;
  let best = history[0];
  for (const record of history) if (accuracyOf(record) > accuracyOf(best)) best = record;
  const prefix = options.title ? `${options.title}: ` : "";
  const charts: Chart[] = [
    { traces: lossTraces, layout: { title: `${prefix}loss`, xaxis: { title: "epoch" }, yaxis: { title: "loss" }, width: 520, height: 380 } },
    {
      traces: accuracyTraces,
      layout: { title: `${prefix}accuracy (best ${accuracyOf(best).toFixed(1)}% at epoch ${best.epoch})`, xaxis: { title: "epoch" }, yaxis: { title: "accuracy (%)" }, width: 520, height: 380 },
    },
  ];
  const bundle = await showFigure(charts, options);
  return { bestEpoch: best.epoch, bestAccuracy: accuracyOf(best), charts, bundle };
}
