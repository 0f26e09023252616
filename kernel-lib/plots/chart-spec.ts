/**
 * A chart is plain data: traces plus a layout, in the shape plotly.js takes (a small subset of it).
 * The same spec feeds the interactive HTML (plotly), the static PNG (our SVG renderer) and the text
 * summary, so the three views can never disagree about what was plotted.
 */

/** A line (optionally with markers) through (x, y) points; `null` y values leave a gap. */
export interface LineTrace {
  type: "scatter";
  name: string;
  x: number[];
  y: Array<number | null>;
  mode?: "lines" | "lines+markers" | "markers";
  /** CSS colour; the palette picks one by trace index when absent. */
  color?: string;
  dash?: "solid" | "dash" | "dot";
}

/** Vertical bars, one per category. */
export interface BarTrace {
  type: "bar";
  name: string;
  x: string[];
  y: number[];
  /** Label drawn on each bar (e.g. "93.0%"). */
  text?: string[];
  color?: string;
}

/** A matrix of values drawn as coloured cells; row 0 is drawn at the top (like a confusion matrix). */
export interface HeatmapTrace {
  type: "heatmap";
  name: string;
  /** z[row][column] */
  z: number[][];
  /** Column labels. */
  x: string[];
  /** Row labels. */
  y: string[];
  /** Text drawn in each cell (e.g. counts); defaults to the value. */
  text?: string[][];
}

export type Trace = LineTrace | BarTrace | HeatmapTrace;

export interface AxisSpec {
  title?: string;
  /** Logarithmic axis (learning rates). Only for numeric line charts. */
  log?: boolean;
  /** Fixed [min, max]; computed from the data when absent. */
  range?: [number, number];
}

export interface ChartLayout {
  title: string;
  xaxis?: AxisSpec;
  yaxis?: AxisSpec;
  /** Pixels. */
  width?: number;
  height?: number;
}

export interface Chart {
  traces: Trace[];
  layout: ChartLayout;
}

/** Sizes used when a layout gives none; also the PNG size. */
export const DEFAULT_CHART_WIDTH = 720;
export const DEFAULT_CHART_HEIGHT = 420;

/** Matplotlib's tab10: distinct and readable for train/val pairs. */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export function traceColor(trace: Trace, index: number): string {
  if (trace.type !== "heatmap" && trace.color) return trace.color;
  return PALETTE[index % PALETTE.length];
}

export function chartSize(layout: ChartLayout): { width: number; height: number } {
  return { width: layout.width ?? DEFAULT_CHART_WIDTH, height: layout.height ?? DEFAULT_CHART_HEIGHT };
}
