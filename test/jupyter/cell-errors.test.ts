import { test } from "node:test";
import assert from "node:assert/strict";
import { compileError, runtimeError, typescriptLineOf } from "../../jupyter/cell-errors";

const typescript = [
  'import * as path from "path";',
  "interface Point { x: number }",
  "const origin: Point = { x: 0 };",
  "function check(p: Point): number {",
  '  if (p.x < 1) throw new Error("too small " + path.sep);',
  "  return p.x;",
  "}",
  "check(origin);",
].join("\n");
// What tslab ran for it (TypeScript's CommonJS output, wrapped), lines as tslab emits them.
const javascript = [
  "(function(exports, require) { Object.defineProperty(exports, \"__esModule\", { value: true });",
  "exports.origin = exports.check = void 0;",
  'const path = require("path");',
  "const origin = { x: 0 };",
  "exports.origin = origin;",
  "function check(p) {",
  "    if (p.x < 1)",
  '        throw new Error("too small " + path.sep);',
  "    return p.x;",
  "}",
  "exports.check = check;",
  "check(origin);",
  "\n})(__tslab__.exports, __tslab__.require)",
].join("\n");

test("JavaScript lines map back to the TypeScript line with the same statement", () => {
  const cell = { typescript, javascript };
  assert.equal(typescriptLineOf(cell, 8), 5); // the throw, split from its `if` by TypeScript
  assert.equal(typescriptLineOf(cell, 12), 8);
  assert.equal(typescriptLineOf(cell, 4), 3);
  assert.equal(typescriptLineOf(cell, 14), undefined); // tslab's wrapper
});

test("a runtime error's traceback names the cell, the TypeScript line and its code", () => {
  const error = new Error("too small /");
  error.stack = [
    "Error: too small /",
    "    at check (cell[4]:8:15)",
    "    at cell[4]:12:1",
    "    at cell[4]:14:3",
    "    at Script.runInThisContext (node:vm:135:14)",
    "    at loadBatch (/repo/kernel-lib/data/loader.ts:10:3)",
  ].join("\n");
  const result = runtimeError(error, new Map([[4, { typescript, javascript }]]));
  assert.equal(result.ename, "Error");
  assert.equal(result.evalue, "too small /");
  assert.deepEqual(result.traceback, [
    "Error: too small /",
    "    at check (cell[4], line 5)", // the JavaScript column says nothing about the TypeScript one
    '--> 5 if (p.x < 1) throw new Error("too small " + path.sep);',
    "    at cell[4], line 8",
    "--> 8 check(origin);",
    "    at loadBatch (/repo/kernel-lib/data/loader.ts:10:3)",
  ]);
});

test("thrown non-errors and compile errors get an ename, evalue and traceback", () => {
  assert.deepEqual(runtimeError("plain string", new Map()), { ename: "Uncaught", evalue: "'plain string'", traceback: ["Uncaught 'plain string'"] });
  const compiled = compileError([{ fileName: "", line: 3, column: 7, message: "Cannot find name 'x'." }], 2, "a\nb\nconst y = x;");
  assert.equal(compiled.evalue, "line 3:7 - Cannot find name 'x'.");
  assert.deepEqual(compiled.traceback, ["TypeScript error in cell[2], line 3:7 - Cannot find name 'x'.", "--> 3 const y = x;"]);
});
