/**
 * Turns one or more charts (drawn side by side) into the MIME bundle a notebook shows:
 * text/plain for terminals, text/html with plotly for live notebooks and HTML reports, image/png for
 * everything that runs no scripts.
 */
import { chartHtml } from "./chart-html";
import { chartSize, type Chart } from "./chart-spec";
import { chartText } from "./chart-text";
import { display, inNotebook, type MimeBundle } from "./display";
import { plotlyBundleScript, takePlotlyBundleScript } from "./plotly-session";
import { svgToPng } from "./rasterize";
import { chartToSvg } from "./svg-chart";

export interface RenderOptions {
  /**
   * Whether this output carries the plotly bundle: by default only the first chart of the kernel session
   * does; `true` for standalone HTML files, `false` for outputs that will sit next to one that has it.
   */
  includePlotly?: boolean;
}

export interface ShowOptions extends RenderOptions {
  /** Display the result (default true); false only computes and renders (tests, custom layouts). */
  show?: boolean;
}

/** Nests the charts' SVGs in one row so a figure has one PNG. */
export function figureSvg(charts: Chart[]): string {
  const sizes = charts.map((chart) => chartSize(chart.layout));
  const width = sizes.reduce((sum, size) => sum + size.width, 0);
  const height = Math.max(...sizes.map((size) => size.height));
  let x = 0;
  const inner = charts.map((chart, index) => {
    const svg = chartToSvg(chart).replace("<svg ", `<svg x="${x}" y="0" `);
    x += sizes[index].width;
    return svg;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n<rect width="${width}" height="${height}" fill="#ffffff"/>\n${inner.join("\n")}\n</svg>`;
}

function bundlePrelude(includePlotly: boolean | undefined): string {
  if (includePlotly === true) return plotlyBundleScript();
  if (includePlotly === false) return "";
  return takePlotlyBundleScript();
}

export async function renderFigure(charts: Chart[], options: RenderOptions = {}): Promise<MimeBundle> {
  if (charts.length === 0) throw new Error("renderFigure: pass at least one chart");
  const png = (await svgToPng(figureSvg(charts))).toString("base64");
  // Each chart's HTML falls back to its own PNG, so a half-working page still shows every panel.
  const fallbacks = await Promise.all(charts.map(async (chart) => (charts.length === 1 ? png : (await svgToPng(chartToSvg(chart))).toString("base64"))));
  const prelude = bundlePrelude(options.includePlotly);
  const panels = charts.map((chart, index) => chartHtml(chart, { fallbackPngBase64: fallbacks[index] }));
  const html = `${prelude}<div class="kernel-lib-figure" style="display:flex;flex-wrap:wrap;gap:8px">\n${panels.map((panel) => `<div>${panel}</div>`).join("\n")}\n</div>`;
  return {
    "text/plain": charts.map(chartText).join("\n\n"),
    "text/html": html,
    "image/png": png,
  };
}

export function renderChart(chart: Chart, options: RenderOptions = {}): Promise<MimeBundle> {
  return renderFigure([chart], options);
}

/**
 * Displays charts: the full bundle inside the notebook kernel, only the text summary elsewhere (a
 * terminal cannot show the rest, and the plotly bundle stays pending for a later notebook output).
 * Returns the bundle that was (or would have been) displayed.
 */
export async function showFigure(charts: Chart[], options: ShowOptions = {}): Promise<MimeBundle> {
  const terminalOnly = options.show !== false && !inNotebook() && options.includePlotly === undefined;
  const bundle = await renderFigure(charts, terminalOnly ? { ...options, includePlotly: false } : options);
  if (options.show !== false) display(bundle);
  return bundle;
}
