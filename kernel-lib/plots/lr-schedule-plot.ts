/** The learning rate per step or epoch, e.g. from a scheduler dry run or the training history's `lr`. */
import type { Chart, LineTrace } from "./chart-spec";
import type { MimeBundle } from "./display";
import { showFigure, type ShowOptions } from "./figure";

export interface LrScheduleOptions extends ShowOptions {
  /** x-axis label: "epoch" (default) or "step". */
  unit?: "epoch" | "step";
  /** Index of the first value (0 like PyTorch's last_epoch counting; 1 for epoch numbers). */
  start?: number;
  log?: boolean;
  title?: string;
}

export interface LrSchedulePlot {
  chart: Chart;
  bundle: MimeBundle;
  minLr: number;
  maxLr: number;
}

/** `lrs` is one list, or one list per parameter group (e.g. { backbone: [...], fc: [...] }). */
export async function plotLrSchedule(lrs: readonly number[] | Record<string, readonly number[]>, options: LrScheduleOptions = {}): Promise<LrSchedulePlot> {
  const groups: Array<[string, readonly number[]]> = Array.isArray(lrs) ? [["lr", lrs as readonly number[]]] : Object.entries(lrs as Record<string, readonly number[]>);
  if (groups.length === 0 || groups.every(([, values]) => values.length === 0)) throw new Error("plotLrSchedule: lrs is empty; pass the learning rate of each step or epoch");
  const all = groups.flatMap(([, values]) => [...values]);
  const bad = all.find((value) => !Number.isFinite(value) || value < 0);
  if (bad !== undefined) throw new Error(`plotLrSchedule: learning rates must be finite and non-negative, got ${bad}`);
  const start = options.start ?? 0;
  const traces: LineTrace[] = groups.map(([name, values]) => ({ type: "scatter", name, x: values.map((_, index) => start + index), y: [...values], mode: values.length <= 60 ? "lines+markers" : "lines" }));
  const unit = options.unit ?? "epoch";
  const chart: Chart = {
    traces,
    layout: { title: options.title ?? "Learning-rate schedule", xaxis: { title: unit }, yaxis: { title: "learning rate", log: options.log ?? false } },
  };
  const bundle = await showFigure([chart], options);
  return { chart, bundle, minLr: Math.min(...all), maxLr: Math.max(...all) };
}
