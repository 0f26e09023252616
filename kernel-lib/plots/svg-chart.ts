/**
 * Draws a chart spec as a standalone SVG for the static PNG fallback (exports where scripts do not run,
 * untrusted notebooks, GitHub's viewer). Deliberately small: frame, ticks, grid, lines, grouped bars,
 * an annotated heatmap, a legend. Plotly draws the interactive version from the same spec.
 */
import { makeScale, niceDomain, type AxisScale } from "./axis-ticks";
import { chartSize, traceColor, type BarTrace, type Chart, type HeatmapTrace, type LineTrace } from "./chart-spec";

const FONT = "DejaVu Sans, Arial, sans-serif";
const TITLE_HEIGHT = 36;
const BOTTOM_MARGIN = 56;
const LEFT_MARGIN = 72;
const RIGHT_MARGIN = 20;
const LEGEND_WIDTH = 150;

let clipPathCount = 0;

interface PlotArea {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function label(x: number, y: number, text: string, options: { size?: number; anchor?: string; rotate?: number; color?: string; weight?: string } = {}): string {
  const transform = options.rotate ? ` transform="rotate(${options.rotate} ${x} ${y})"` : "";
  return (
    `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" font-size="${options.size ?? 12}" ` +
    `text-anchor="${options.anchor ?? "middle"}" fill="${options.color ?? "#222"}"` +
    `${options.weight ? ` font-weight="${options.weight}"` : ""}${transform}>${escapeXml(text)}</text>`
  );
}

/** Renders the chart; throws when traces of different kinds are mixed (no plot here needs that). */
export function chartToSvg(chart: Chart): string {
  const { width, height } = chartSize(chart.layout);
  const kinds = new Set(chart.traces.map((trace) => trace.type));
  if (kinds.size > 1) throw new Error(`chartToSvg: chart "${chart.layout.title}" mixes trace types ${[...kinds].join(", ")}; use one type per chart`);
  const legendNeeded = chart.traces.length > 1 && !kinds.has("heatmap");
  const area: PlotArea = {
    left: LEFT_MARGIN,
    top: TITLE_HEIGHT + 8,
    right: width - RIGHT_MARGIN - (legendNeeded ? LEGEND_WIDTH : 0),
    bottom: height - BOTTOM_MARGIN,
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    label(width / 2, 24, chart.layout.title, { size: 16, weight: "bold" }),
  ];
  if (chart.traces.length === 0) parts.push(label(width / 2, height / 2, "(no data)", { size: 14, color: "#888" }));
  else if (kinds.has("scatter")) parts.push(...drawLines(chart, chart.traces as LineTrace[], area));
  else if (kinds.has("bar")) parts.push(...drawBars(chart, chart.traces as BarTrace[], area));
  else parts.push(...drawHeatmap(chart.traces[0] as HeatmapTrace, area));
  parts.push(...axisTitles(chart, area, height));
  if (legendNeeded) parts.push(...drawLegend(chart, area));
  parts.push("</svg>");
  return parts.join("\n");
}

function axisTitles(chart: Chart, area: PlotArea, height: number): string[] {
  const parts: string[] = [];
  const xTitle = chart.layout.xaxis?.title;
  const yTitle = chart.layout.yaxis?.title;
  if (xTitle) parts.push(label((area.left + area.right) / 2, height - 12, xTitle, { size: 13 }));
  if (yTitle) parts.push(label(16, (area.top + area.bottom) / 2, yTitle, { size: 13, rotate: -90 }));
  return parts;
}

function frame(area: PlotArea): string {
  return `<rect x="${area.left}" y="${area.top}" width="${area.right - area.left}" height="${area.bottom - area.top}" fill="none" stroke="#444" stroke-width="1"/>`;
}

function yAxis(scale: AxisScale, area: PlotArea): string[] {
  const parts: string[] = [];
  for (const tick of scale.ticks) {
    const y = scale.toPixel(tick);
    parts.push(`<line x1="${area.left}" y1="${y.toFixed(1)}" x2="${area.right}" y2="${y.toFixed(1)}" stroke="#e5e5e5" stroke-width="1"/>`);
    parts.push(`<line x1="${area.left - 5}" y1="${y.toFixed(1)}" x2="${area.left}" y2="${y.toFixed(1)}" stroke="#444"/>`);
    parts.push(label(area.left - 8, y + 4, scale.format(tick), { anchor: "end", size: 11 }));
  }
  return parts;
}

function finiteValues(values: Array<number | null>, positiveOnly: boolean): number[] {
  return values.filter((value): value is number => value !== null && Number.isFinite(value) && (!positiveOnly || value > 0));
}

function dataDomain(values: number[], fixed: [number, number] | undefined, log: boolean): [number, number] {
  if (fixed) return fixed;
  if (values.length === 0) return log ? [0.1, 1] : [0, 1];
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (log) return min === max ? [min / 2, max * 2] : [min, max];
  return niceDomain(min, max);
}

function drawLines(chart: Chart, traces: LineTrace[], area: PlotArea): string[] {
  const xLog = chart.layout.xaxis?.log ?? false;
  const yLog = chart.layout.yaxis?.log ?? false;
  const xs = traces.flatMap((trace) => finiteValues(trace.x, xLog));
  const ys = traces.flatMap((trace) => finiteValues(trace.y, yLog));
  const [xMin, xMax] = dataDomain(xs, chart.layout.xaxis?.range, xLog);
  const [yMin, yMax] = dataDomain(ys, chart.layout.yaxis?.range, yLog);
  const xScale = makeScale(xMin, xMax, area.left, area.right, xLog);
  const yScale = makeScale(yMin, yMax, area.bottom, area.top, yLog);
  const parts = yAxis(yScale, area);
  for (const tick of xScale.ticks) {
    const x = xScale.toPixel(tick);
    parts.push(`<line x1="${x.toFixed(1)}" y1="${area.bottom}" x2="${x.toFixed(1)}" y2="${area.bottom + 5}" stroke="#444"/>`);
    parts.push(label(x, area.bottom + 18, xScale.format(tick), { size: 11 }));
  }
  // Unique per drawing: several charts are nested into one SVG for side-by-side figures.
  const clipId = `plot-area-${++clipPathCount}`;
  parts.push(`<clipPath id="${clipId}"><rect x="${area.left}" y="${area.top}" width="${area.right - area.left}" height="${area.bottom - area.top}"/></clipPath>`);
  traces.forEach((trace, index) => {
    const color = traceColor(trace, index);
    const dash = trace.dash === "dash" ? ` stroke-dasharray="7 4"` : trace.dash === "dot" ? ` stroke-dasharray="2 3"` : "";
    const mode = trace.mode ?? "lines";
    // A null (missing) value ends the current segment, like plotly's default connectgaps: false.
    const segments: Array<Array<[number, number]>> = [[]];
    trace.x.forEach((xValue, i) => {
      const yValue = trace.y[i];
      const usable = yValue !== null && yValue !== undefined && Number.isFinite(yValue) && Number.isFinite(xValue) && (!yLog || yValue > 0) && (!xLog || xValue > 0);
      if (!usable) segments.push([]);
      else segments[segments.length - 1].push([xScale.toPixel(xValue), yScale.toPixel(yValue)]);
    });
    for (const segment of segments) {
      if (segment.length === 0) continue;
      if (mode !== "markers" && segment.length > 1) {
        const points = segment.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
        parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2.2"${dash} clip-path="url(#${clipId})"/>`);
      }
      if (mode !== "lines" || segment.length === 1) {
        for (const [x, y] of segment) parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${color}"/>`);
      }
    }
  });
  parts.push(frame(area));
  return parts;
}

function drawBars(chart: Chart, traces: BarTrace[], area: PlotArea): string[] {
  const categories = traces[0].x;
  const values = traces.flatMap((trace) => trace.y.filter(Number.isFinite));
  const fixed = chart.layout.yaxis?.range;
  const [yMin, yMax] = fixed ?? niceDomain(Math.min(0, ...values), Math.max(0, ...values));
  const yScale = makeScale(yMin, yMax, area.bottom, area.top, false);
  const parts = yAxis(yScale, area);
  const band = (area.right - area.left) / Math.max(1, categories.length);
  const barWidth = (band * 0.8) / traces.length;
  const rotateLabels = categories.some((name) => name.length * 7 > band);
  categories.forEach((category, column) => {
    const center = area.left + band * (column + 0.5);
    parts.push(
      rotateLabels
        ? label(center, area.bottom + 14, category, { size: 11, anchor: "end", rotate: -35 })
        : label(center, area.bottom + 18, category, { size: 11 }),
    );
  });
  const zeroY = yScale.toPixel(Math.max(yMin, Math.min(yMax, 0)));
  traces.forEach((trace, index) => {
    const color = traceColor(trace, index);
    trace.y.forEach((value, column) => {
      if (!Number.isFinite(value)) return;
      const x = area.left + band * column + band * 0.1 + barWidth * index;
      const y = yScale.toPixel(Math.max(yMin, Math.min(yMax, value)));
      parts.push(`<rect x="${x.toFixed(1)}" y="${Math.min(y, zeroY).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${Math.abs(zeroY - y).toFixed(1)}" fill="${color}"/>`);
      const text = trace.text?.[column];
      // About 0.6 em per character: shrink labels that would overlap the neighbouring bar.
      const size = Math.max(7, Math.min(11, barWidth / (0.6 * Math.max(1, text?.length ?? 1))));
      if (text) parts.push(label(x + barWidth / 2, Math.min(y, zeroY) - 4, text, { size }));
    });
  });
  parts.push(frame(area));
  return parts;
}

/** White → blue like matplotlib's "Blues"; `fraction` in [0, 1]. */
export function bluesColor(fraction: number): string {
  const t = Math.max(0, Math.min(1, fraction));
  const channel = (light: number, dark: number): number => Math.round(light + (dark - light) * t);
  return `rgb(${channel(247, 8)},${channel(251, 48)},${channel(255, 107)})`;
}

function drawHeatmap(trace: HeatmapTrace, area: PlotArea): string[] {
  const rows = trace.z.length;
  const columns = rows === 0 ? 0 : trace.z[0].length;
  const values = trace.z.flat().filter(Number.isFinite);
  const maxValue = values.length === 0 ? 1 : Math.max(...values) || 1;
  const minValue = values.length === 0 ? 0 : Math.min(0, ...values);
  // Square cells, centred in the plot area, leave room for the class names.
  const labelRoom = 90;
  const cell = Math.min((area.right - area.left - labelRoom) / Math.max(1, columns), (area.bottom - area.top - 10) / Math.max(1, rows));
  const left = area.left + labelRoom / 2 + (area.right - area.left - labelRoom - cell * columns) / 2;
  const top = area.top;
  const parts: string[] = [];
  const fontSize = Math.max(8, Math.min(14, cell / 3));
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const value = trace.z[row][column];
      const fraction = (value - minValue) / (maxValue - minValue || 1);
      const x = left + column * cell;
      const y = top + row * cell;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${cell.toFixed(1)}" height="${cell.toFixed(1)}" fill="${bluesColor(fraction)}" stroke="#ffffff" stroke-width="0.5"/>`);
      const text = trace.text?.[row]?.[column] ?? String(value);
      parts.push(label(x + cell / 2, y + cell / 2 + fontSize / 3, text, { size: fontSize, color: fraction > 0.5 ? "#ffffff" : "#222222" }));
    }
  }
  trace.y.forEach((name, row) => parts.push(label(left - 6, top + (row + 0.5) * cell + 4, name, { size: 11, anchor: "end" })));
  trace.x.forEach((name, column) => {
    const x = left + (column + 0.5) * cell;
    parts.push(label(x, top + rows * cell + 14, name, { size: 11, anchor: "end", rotate: -35 }));
  });
  return parts;
}

function drawLegend(chart: Chart, area: PlotArea): string[] {
  const parts: string[] = [];
  const x = area.right + 14;
  chart.traces.forEach((trace, index) => {
    const y = area.top + 12 + index * 20;
    const color = traceColor(trace, index);
    const dashed = trace.type === "scatter" && trace.dash === "dash" ? ` stroke-dasharray="7 4"` : "";
    if (trace.type === "bar") parts.push(`<rect x="${x}" y="${y - 6}" width="22" height="12" fill="${color}"/>`);
    else parts.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${color}" stroke-width="2.5"${dashed}/>`);
    parts.push(label(x + 28, y + 4, trace.name, { size: 12, anchor: "start" }));
  });
  return parts;
}
