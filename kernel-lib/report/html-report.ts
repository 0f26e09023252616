/**
 * Writes an executed notebook as one self-contained HTML page (nbconvert's HTML exporter): output images
 * and markdown images are embedded as data URIs and the CSS is inline, so the file can be mailed or opened
 * offline. `text/html` outputs, inline scripts included (e.g. a Plotly chart with its bundle inlined),
 * are kept verbatim.
 *
 * nbconvert's page loads require.js and MathJax from outside the file (Debian points them at
 * file:///usr/share/javascript/...). Those tags are removed: they cannot load on another machine, and
 * with require.js present a UMD bundle such as plotly.js registers as an AMD module instead of defining
 * `window.Plotly`, which breaks charts in the report. LaTeX in markdown then shows as its source.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface HtmlReportOptions {
  /** An executed .ipynb. */
  executedNotebookPath: string;
  /** Where the page goes (written atomically). */
  htmlPath: string;
}

const EXTERNAL_SCRIPT = /<script\b[^>]*\bsrc\s*=\s*["'](?:file:|https?:|\/\/)[^"']*["'][^>]*>\s*<\/script>/gi;

export async function writeHtmlReport(options: HtmlReportOptions): Promise<{ htmlPath: string; removedExternalScripts: number }> {
  const outputDir = path.dirname(path.resolve(options.htmlPath));
  fs.mkdirSync(outputDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(outputDir, ".html-"));
  try {
    const baseName = path.basename(options.htmlPath, ".html");
    await new Promise<void>((resolve, reject) => {
      execFile(
        "/usr/bin/python3",
        [
          "-m", "jupyter", "nbconvert", "--to", "html", "--HTMLExporter.embed_images=True",
          "--output-dir", scratch, "--output", baseName, path.resolve(options.executedNotebookPath),
        ],
        { maxBuffer: 64 * 1024 * 1024 },
        (error, _stdout, stderr) =>
          error
            ? reject(new Error(`nbconvert --to html failed for ${options.executedNotebookPath}:\n${stderr.slice(-4000)}`))
            : resolve(),
      );
    });
    const page = fs.readFileSync(path.join(scratch, `${baseName}.html`), "utf8");
    const { html, removed } = withoutExternalScripts(page);
    const temporary = path.join(scratch, "page.tmp");
    fs.writeFileSync(temporary, html);
    fs.renameSync(temporary, options.htmlPath);
    return { htmlPath: options.htmlPath, removedExternalScripts: removed };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Removes `<script src=...>` tags that point outside the page; inline scripts stay. */
export function withoutExternalScripts(html: string): { html: string; removed: number } {
  let removed = 0;
  const cleaned = html.replace(EXTERNAL_SCRIPT, () => {
    removed++;
    return "";
  });
  return { html: cleaned, removed };
}
