// The HTML write-up: executed notebook + self-contained page (embedded image, inline scripts kept,
// no script loaded from outside the file).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeHtmlReport, withoutExternalScripts } from "../../kernel-lib/report/html-report";
import { executeNotebook, temporaryFolder } from "../../kernel-lib/report/notebook-runner";

const fixture = join(__dirname, "../notebooks/fixtures/passing.ipynb");
const RED_PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

test("an executed notebook becomes a self-contained HTML page next to the executed .ipynb", async () => {
  const outDir = temporaryFolder("html-report-");
  try {
    const executed = await executeNotebook({ notebookPath: fixture, outputDir: outDir, mode: "smoke" });
    assert.equal(executed.executedPath, join(outDir, "passing.ipynb"));
    const { htmlPath, removedExternalScripts } = await writeHtmlReport({
      executedNotebookPath: executed.executedPath,
      htmlPath: join(outDir, "passing.html"),
    });
    const html = readFileSync(htmlPath, "utf8");
    assert.ok(html.includes(`data:image/png;base64,${RED_PIXEL}`), "the PNG output is embedded as a data URI");
    assert.match(html, /<script>document\.getElementById\("inline-script-target"\)\.textContent = "inline script ran";<\/script>/);
    assert.match(html, /id="fixture-table"/);
    assert.match(html, /run mode: smoke/);
    assert.ok(removedExternalScripts >= 1, "nbconvert's require.js tag was removed");
    assert.doesNotMatch(html, /<script[^>]*\bsrc=/i, "no script is loaded from outside the page");
    assert.doesNotMatch(html, /<link[^>]*rel="stylesheet"[^>]*href="(?:https?|file):/i, "CSS is inline");
    assert.deepEqual(readdirSync(outDir).sort(), ["passing.html", "passing.ipynb"], "no scratch files left behind");
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test("withoutExternalScripts drops only scripts with an outside src", () => {
  const page = [
    '<script src="file:///usr/share/javascript/requirejs/require.min.js"></script>',
    "<script>var inline = 1;</script>",
    "<script type=\"text/javascript\" src='https://cdn.example.org/x.js'> </script>",
    '<script src="//cdn.example.org/y.js"></script>',
  ].join("\n");
  const { html, removed } = withoutExternalScripts(page);
  assert.equal(removed, 3);
  assert.equal(html.trim(), "<script>var inline = 1;</script>");
});

test("a missing executed notebook is a clear error", async () => {
  const outDir = temporaryFolder("html-report-missing-");
  try {
    await assert.rejects(
      writeHtmlReport({ executedNotebookPath: join(outDir, "absent.ipynb"), htmlPath: join(outDir, "absent.html") }),
      /nbconvert --to html failed for .*absent\.ipynb/,
    );
    assert.equal(existsSync(join(outDir, "absent.html")), false);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
