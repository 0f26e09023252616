/**
 * The interactive view of a chart: a div that first shows the static PNG, and a script that replaces it
 * with a plotly chart as soon as `window.Plotly` exists. The wait matters in exported pages, where the
 * output carrying the bundle can come after a chart (a re-run cell) and in untrusted notebooks where
 * scripts never run (the PNG stays).
 */
import { randomUUID } from "node:crypto";
import { chartSize, traceColor, type AxisSpec, type Chart, type Trace } from "./chart-spec";
import { escapeXml } from "./svg-chart";

type PlotlyValue = string | number | boolean | null | PlotlyValue[] | { [key: string]: PlotlyValue | undefined };
type PlotlyObject = { [key: string]: PlotlyValue | undefined };

/** The plotly.js trace objects for a spec (exported for tests and for people who want to tweak them). */
export function plotlyTraces(chart: Chart): PlotlyObject[] {
  return chart.traces.map((trace, index) => plotlyTrace(chart, trace, index));
}

function plotlyTrace(chart: Chart, trace: Trace, index: number): PlotlyObject {
  const color = traceColor(trace, index);
  switch (trace.type) {
    case "scatter":
      return { type: "scatter", name: trace.name, x: trace.x, y: trace.y, mode: trace.mode ?? "lines", line: { color, dash: trace.dash ?? "solid", width: 2.2 } };
    case "bar":
      return { type: "bar", name: trace.name, x: trace.x, y: trace.y, text: trace.text, textposition: trace.text ? "outside" : undefined, marker: { color } };
    case "heatmap":
      return {
        type: "heatmap",
        name: trace.name,
        z: trace.z,
        x: trace.x,
        y: trace.y,
        text: trace.text ?? trace.z.map((row) => row.map(String)),
        texttemplate: "%{text}",
        // The same white → dark blue ramp as the PNG (plotly's own "Blues" runs dark → light).
        colorscale: [
          [0, "rgb(247,251,255)"],
          [1, "rgb(8,48,107)"],
        ],
        hovertemplate: `${escapeXml(chart.layout.yaxis?.title ?? "row")}: %{y}<br>${escapeXml(chart.layout.xaxis?.title ?? "column")}: %{x}<br>%{text}<extra></extra>`,
      };
  }
}

function plotlyAxis(axis: AxisSpec | undefined, reversed: boolean): PlotlyObject {
  const out: PlotlyObject = { automargin: true, gridcolor: "#e5e5e5", linecolor: "#444444", mirror: true };
  if (axis?.title) out.title = { text: axis.title };
  if (axis?.log) out.type = "log";
  // plotly takes log-axis ranges as exponents.
  if (axis?.range) out.range = axis.log ? axis.range.map(Math.log10) : [...axis.range];
  if (reversed) out.autorange = "reversed";
  return out;
}

export function plotlyLayout(chart: Chart): PlotlyObject {
  const { width, height } = chartSize(chart.layout);
  const heatmap = chart.traces.some((trace) => trace.type === "heatmap");
  return {
    title: { text: chart.layout.title },
    width,
    height,
    xaxis: plotlyAxis(chart.layout.xaxis, false),
    // Row 0 at the top, like the PNG and like a printed confusion matrix.
    yaxis: plotlyAxis(chart.layout.yaxis, heatmap),
    margin: { t: 50 },
    plot_bgcolor: "#ffffff",
    paper_bgcolor: "#ffffff",
  };
}

/** JSON that is safe inside a <script> element (no "</script>", no raw U+2028/9). */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export interface ChartHtmlOptions {
  /** base64 PNG shown until plotly draws (and forever where scripts do not run). */
  fallbackPngBase64?: string;
  /** HTML to put before the chart script, e.g. the plotly bundle script. */
  prelude?: string;
}

/** A unique div id: re-run cells and several kernels' outputs share one exported page. */
export function newChartId(): string {
  return `kernel-lib-chart-${randomUUID()}`;
}

export function chartHtml(chart: Chart, options: ChartHtmlOptions = {}, divId = newChartId()): string {
  const { width, height } = chartSize(chart.layout);
  const fallback = options.fallbackPngBase64
    ? `<img src="data:image/png;base64,${options.fallbackPngBase64}" width="${width}" height="${height}" alt="${escapeXml(chart.layout.title)}"/>`
    : "";
  const drawScript =
    `(function () {\n` +
    `  var id = ${scriptSafeJson(divId)};\n` +
    `  var data = ${scriptSafeJson(plotlyTraces(chart))};\n` +
    `  var layout = ${scriptSafeJson(plotlyLayout(chart))};\n` +
    `  var attempts = 0;\n` +
    `  function draw() {\n` +
    `    var element = document.getElementById(id);\n` +
    `    if (!element) return;\n` +
    `    var Plotly = window.Plotly;\n` +
    `    if (!Plotly) { if (attempts++ < 600) setTimeout(draw, 50); return; }\n` +
    `    element.innerHTML = "";\n` +
    `    Plotly.newPlot(element, data, layout, { displaylogo: false, responsive: true, displayModeBar: "hover" });\n` +
    `  }\n` +
    `  draw();\n` +
    `})();`;
  return (
    (options.prelude ?? "") +
    `<div id="${divId}" class="kernel-lib-chart" style="width:${width}px;min-height:${height}px">${fallback}</div>\n` +
    `<script type="text/javascript">\n${drawScript}\n</script>`
  );
}
