/**
 * Several `fit` runs of the same task side by side in ONE table (e.g. fine-tuning strategies: frozen
 * backbone, fine-tune all, freeze the first N children): what each trained, how long an epoch took and
 * where validation accuracy ended and peaked. Rows keep the order given, so the table reads like the
 * notebook's cells.
 */
import { display, type MimeBundle } from "../plots/display";
import { tableBundle } from "../plots/table";
import type { EpochRecord } from "./callbacks";

export interface ComparedRun {
  name: string;
  history: readonly EpochRecord[];
  /** Parameters the optimizer updated (`trainableParameterCount(model)`). */
  trainableParameters?: number;
}

export interface HistoryComparisonRow {
  name: string;
  trainableParameters: number | undefined;
  epochs: number;
  /** Mean wall seconds per epoch (training + validation). */
  secondsPerEpoch: number;
  finalTrainLoss: number;
  /** Fractions in [0, 1]; undefined without a validation loader. */
  finalValAccuracy: number | undefined;
  bestValAccuracy: number | undefined;
  /** 0-based epoch of bestValAccuracy. */
  bestEpoch: number | undefined;
}

export function historyComparisonRows(runs: readonly ComparedRun[]): HistoryComparisonRow[] {
  if (runs.length === 0) throw new Error("historyComparisonRows: no runs; pass [{ name, history }] with the arrays fit() returned");
  return runs.map((run) => {
    if (!Array.isArray(run.history) || run.history.length === 0) {
      throw new Error(`historyComparisonRows: run "${run.name}" has an empty history; pass what fit() returned after at least one epoch`);
    }
    const last = run.history[run.history.length - 1];
    const withVal = run.history.filter((record) => record.valAccuracy !== undefined);
    let best: EpochRecord | undefined;
    for (const record of withVal) if (best === undefined || record.valAccuracy! > best.valAccuracy!) best = record;
    return {
      name: run.name,
      trainableParameters: run.trainableParameters,
      epochs: run.history.length,
      secondsPerEpoch: run.history.reduce((sum, record) => sum + record.seconds, 0) / run.history.length,
      finalTrainLoss: last.trainLoss,
      finalValAccuracy: last.valAccuracy,
      bestValAccuracy: best?.valAccuracy,
      bestEpoch: best?.epoch,
    };
  });
}

function percent(value: number | undefined): string {
  return value === undefined ? "-" : `${(100 * value).toFixed(2)}%`;
}

/** The table as text (aligned columns) and HTML; `firstColumn` names the runs' column (default "run"). */
export function historyComparisonTable(runs: readonly ComparedRun[], firstColumn = "run"): MimeBundle {
  const rows = historyComparisonRows(runs);
  const header = [firstColumn, "trainable params", "epochs", "s/epoch", "train loss", "val acc", "best val acc"];
  const cells = rows.map((row) => [
    row.name,
    row.trainableParameters === undefined ? "-" : row.trainableParameters.toLocaleString("en-US"),
    String(row.epochs),
    row.secondsPerEpoch.toFixed(1),
    row.finalTrainLoss.toFixed(4),
    percent(row.finalValAccuracy),
    row.bestEpoch === undefined ? "-" : `${percent(row.bestValAccuracy)} (epoch ${row.bestEpoch + 1})`,
  ]);
  return tableBundle(header, cells, { align: header.map((_, column) => (column === 0 ? "left" : "right")), className: "kernel-lib-comparison" });
}

/** Shows the table and returns its rows (to pick the best run in code). */
export function showHistoryComparison(runs: readonly ComparedRun[], firstColumn = "run"): HistoryComparisonRow[] {
  display(historyComparisonTable(runs, firstColumn));
  return historyComparisonRows(runs);
}
