/** The terminal view of a chart: the numbers behind it, short enough to read in a log. */
import type { BarTrace, Chart, HeatmapTrace, LineTrace } from "./chart-spec";

function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(3);
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

function lineSummary(trace: LineTrace): string {
  const points = trace.x.map((x, i) => ({ x, y: trace.y[i] })).filter((point): point is { x: number; y: number } => point.y !== null && Number.isFinite(point.y));
  if (points.length === 0) return `  ${trace.name}: no finite values`;
  const first = points[0];
  const last = points[points.length - 1];
  let lowest = first;
  let highest = first;
  for (const point of points) {
    if (point.y < lowest.y) lowest = point;
    if (point.y > highest.y) highest = point;
  }
  return (
    `  ${trace.name}: ${points.length} points, ${formatNumber(first.y)} at ${formatNumber(first.x)} → ${formatNumber(last.y)} at ${formatNumber(last.x)}` +
    ` (min ${formatNumber(lowest.y)} at ${formatNumber(lowest.x)}, max ${formatNumber(highest.y)} at ${formatNumber(highest.x)})`
  );
}

function barSummary(traces: BarTrace[]): string[] {
  const width = Math.max(...traces[0].x.map((name) => name.length), 8);
  const header = `  ${"".padEnd(width)}  ${traces.map((trace) => trace.name.padStart(12)).join(" ")}`;
  const rows = traces[0].x.map(
    (category, column) => `  ${category.padEnd(width)}  ${traces.map((trace) => (trace.text?.[column] ?? formatNumber(trace.y[column])).padStart(12)).join(" ")}`,
  );
  return [header, ...rows];
}

function heatmapSummary(trace: HeatmapTrace, rowTitle: string, columnTitle: string): string[] {
  const cells = trace.text ?? trace.z.map((row) => row.map((value) => formatNumber(value)));
  const labelWidth = Math.max(...trace.y.map((name) => name.length), rowTitle.length);
  const cellWidth = Math.max(...trace.x.map((name) => name.length), ...cells.flat().map((text) => text.length), 3);
  const lines = [`  ${"".padEnd(labelWidth)}  ${columnTitle} →`, `  ${rowTitle.padEnd(labelWidth)}  ${trace.x.map((name) => name.padStart(cellWidth)).join(" ")}`];
  trace.y.forEach((name, row) => lines.push(`  ${name.padEnd(labelWidth)}  ${cells[row].map((text) => text.padStart(cellWidth)).join(" ")}`));
  return lines;
}

export function chartText(chart: Chart): string {
  const lines = [chart.layout.title];
  const kind = chart.traces[0]?.type;
  if (kind === undefined) lines.push("  (no data)");
  else if (kind === "scatter") lines.push(...(chart.traces as LineTrace[]).map(lineSummary));
  else if (kind === "bar") lines.push(...barSummary(chart.traces as BarTrace[]));
  else lines.push(...heatmapSummary(chart.traces[0] as HeatmapTrace, chart.layout.yaxis?.title ?? "", chart.layout.xaxis?.title ?? ""));
  return lines.join("\n");
}
