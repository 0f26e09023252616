/**
 * plotly.js (~11 MB) is inlined into the notebook once per kernel session: the first chart's HTML carries
 * it in a <script>, later charts use `window.Plotly`. Loading from a CDN would break offline use and
 * exported reports, and inlining it in every chart would make notebooks hundreds of MB.
 *
 * When the chart that carried the bundle is later replaced (its cell re-run) a reopened notebook has no
 * bundle; every chart therefore shows its static PNG until Plotly exists, so nothing is ever blank.
 * `resetPlotlySession()` makes the next chart carry the bundle again.
 */
import * as fs from "node:fs";

let bundleSource: string | undefined;
let bundleDelivered = false;

function plotlySource(): string {
  if (bundleSource === undefined) {
    let bundlePath: string;
    try {
      bundlePath = require.resolve("plotly.js-dist/plotly.js");
    } catch {
      throw new Error("plotly.js-dist is not installed: run `npm ci` in the repository root (it is a dependency in package.json)");
    }
    bundleSource = fs.readFileSync(bundlePath, "utf8");
  }
  return bundleSource;
}

/**
 * The <script> that defines window.Plotly. The UMD header would export through `module` when a page
 * defines one (some notebook front ends do), so it runs with `module` shadowed; the guard keeps a second
 * copy (after a reset) from replacing a Plotly that already drew charts.
 */
export function plotlyBundleScript(): string {
  const source = plotlySource().replace(/<\/script/gi, "<\\/script");
  return `<script type="text/javascript">if (!window.Plotly) { (function (module, exports, define) {\n${source}\n}).call(window); }</script>`;
}

/** The bundle script the first time it is asked for in this session, "" afterwards. */
export function takePlotlyBundleScript(): string {
  if (bundleDelivered) return "";
  bundleDelivered = true;
  return plotlyBundleScript();
}

/** Whether the next chart would carry the bundle. */
export function plotlyBundlePending(): boolean {
  return !bundleDelivered;
}

/** Makes the next chart inline the bundle again (a fresh notebook page, or its carrying cell was re-run). */
export function resetPlotlySession(): void {
  bundleDelivered = false;
}
