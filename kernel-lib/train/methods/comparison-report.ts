/**
 * What the semi-supervised notebook shows after the runs: test-accuracy curves of the methods side by
 * side, FixMatch's pseudo-label quality over training, and the final table (accuracy, labels used,
 * steps, wall time). Charts are kernel-lib/plots specs, so they render as plotly HTML, PNG and text.
 */
import type { Chart, LineTrace } from "../../plots/chart-spec";
import { display, type MimeBundle } from "../../plots/display";
import { showFigure, type ShowOptions } from "../../plots/figure";
import { tableBundle } from "../../plots/table";
import type { SemiSupervisedRun } from "./semi-supervised-run";

const METHOD_TITLES: Record<SemiSupervisedRun["method"], string> = {
  supervised: "supervised only",
  "mean-teacher": "Mean Teacher",
  fixmatch: "FixMatch",
};

/** Test accuracy (percent) against steps; for Mean Teacher and FixMatch both the trained model and its teacher/EMA. */
export function accuracyCurves(runs: readonly SemiSupervisedRun[]): Chart {
  const traces: LineTrace[] = [];
  for (const run of runs) {
    const steps = run.evaluations.map((record) => record.step);
    const title = METHOD_TITLES[run.method];
    const hasTeacher = run.evaluations.some((record) => record.teacherAccuracy !== undefined);
    traces.push({ type: "scatter", name: hasTeacher ? `${title} (student)` : title, x: steps, y: run.evaluations.map((record) => record.accuracy * 100), mode: "lines+markers", dash: hasTeacher ? "dot" : "solid" });
    if (hasTeacher) {
      const teacherName = run.method === "mean-teacher" ? "teacher" : "EMA model";
      traces.push({ type: "scatter", name: `${title} (${teacherName})`, x: steps, y: run.evaluations.map((record) => (record.teacherAccuracy === undefined ? null : record.teacherAccuracy * 100)), mode: "lines+markers" });
    }
  }
  return { traces, layout: { title: "test accuracy, same labels and budget", xaxis: { title: "training step" }, yaxis: { title: "accuracy (%)" }, width: 620, height: 400 } };
}

/** Mean of each window of `size` values (the per-step rates are noisy on small batches). */
function movingAverage(values: readonly (number | null)[], size: number): (number | null)[] {
  return values.map((_, index) => {
    const window = values.slice(Math.max(0, index - size + 1), index + 1).filter((value): value is number => value !== null);
    return window.length === 0 ? null : window.reduce((a, b) => a + b, 0) / window.length;
  });
}

/** FixMatch: share of unlabeled images above the threshold, and how often those pseudo-labels are right. */
export function pseudoLabelQuality(run: SemiSupervisedRun, smoothing = Math.max(1, Math.round(run.steps.length / 20))): Chart {
  if (run.method !== "fixmatch") throw new Error(`pseudoLabelQuality: needs the FixMatch run, got ${run.method}`);
  const steps = run.steps.map((record) => record.step + 1);
  const percent = (value: number | null | undefined): number | null => (value === null || value === undefined ? null : value * 100);
  return {
    traces: [
      { type: "scatter", name: "mask rate (confident pseudo-labels)", x: steps, y: movingAverage(run.steps.map((record) => percent(record.maskRate)), smoothing), mode: "lines" },
      { type: "scatter", name: "accuracy of confident pseudo-labels", x: steps, y: movingAverage(run.steps.map((record) => percent(record.pseudoLabelAccuracy)), smoothing), mode: "lines" },
    ],
    layout: { title: `FixMatch pseudo-label quality (moving average of ${smoothing} steps)`, xaxis: { title: "training step" }, yaxis: { title: "%", range: [0, 100] }, width: 620, height: 400 },
  };
}

export interface ComparisonRow {
  method: string;
  labelsUsed: number;
  steps: number;
  /** Percent. */
  accuracy: number;
  wallSeconds: number;
}

export function comparisonRows(runs: readonly SemiSupervisedRun[]): ComparisonRow[] {
  return runs.map((run) => ({
    method: METHOD_TITLES[run.method] + (run.method === "mean-teacher" ? " (teacher)" : run.evaluations.some((record) => record.teacherAccuracy !== undefined) ? " (EMA model)" : ""),
    labelsUsed: run.labelsUsed,
    steps: run.steps.length,
    accuracy: run.finalAccuracy * 100,
    wallSeconds: run.wallSeconds,
  }));
}

/** The final table as text and HTML. */
export function comparisonTable(runs: readonly SemiSupervisedRun[]): MimeBundle {
  const rows = comparisonRows(runs);
  const header = ["method", "labels used", "steps", "test accuracy", "wall time"];
  const cells = rows.map((row) => [row.method, String(row.labelsUsed), String(row.steps), `${row.accuracy.toFixed(2)}%`, `${row.wallSeconds.toFixed(1)} s`]);
  return tableBundle(header, cells);
}

/** Shows the curves, FixMatch's pseudo-label plot (when a FixMatch run is present) and the table. */
export async function showComparison(runs: readonly SemiSupervisedRun[], options: ShowOptions = {}): Promise<void> {
  if (runs.length === 0) throw new Error("showComparison: no runs; pass the results of runSemiSupervised");
  await showFigure([accuracyCurves(runs)], options);
  const fixMatch = runs.find((run) => run.method === "fixmatch");
  if (fixMatch) await showFigure([pseudoLabelQuality(fixMatch)], options);
  if (options.show !== false) display(comparisonTable(runs));
}
