import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, tableBundle } from "../../kernel-lib/plots/table";

test("tableBundle lines text columns up (left or right per column) and writes the same cells as HTML", () => {
  const bundle = tableBundle(["name", "acc"], [["a", "9.5%"], ["longer <x>", "10.25%"]], { align: ["left", "right"], className: "t" });
  assert.deepEqual(bundle["text/plain"].split("\n"), [
    "name           acc",
    "----------  ------",
    "a             9.5%",
    "longer <x>  10.25%",
  ]);
  assert.equal(
    bundle["text/html"],
    '<table class="t"><thead><tr><th>name</th><th>acc</th></tr></thead><tbody>' +
      '<tr><td style="text-align:left">a</td><td style="text-align:right">9.5%</td></tr>' +
      '<tr><td style="text-align:left">longer &lt;x&gt;</td><td style="text-align:right">10.25%</td></tr></tbody></table>',
  );
});

test("left-aligned last columns leave no trailing spaces; columns default to left", () => {
  const lines = tableBundle(["method", "x"], [["ab", "1"], ["a", "22"]])["text/plain"].split("\n");
  assert.deepEqual(lines, ["method  x", "------  --", "ab      1", "a       22"]);
});

test("escapeHtml escapes &, < and >", () => {
  assert.equal(escapeHtml("a & <b>"), "a &amp; &lt;b&gt;");
});
