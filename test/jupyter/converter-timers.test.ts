// tslab's converter threw "Unexpected pending rebuildTimer" (as an uncaught exception in the kernel)
// when a module imported by a cell changed and a missing module appeared while the kernel ran.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { tolerateConcurrentWatchTimers } from "../../jupyter/converter-timers";

const tslabFolder = join(__dirname, "../../node_modules/tslab");
const ts = require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabFolder] })) as { sys: object };
const { createConverter } = require("tslab/dist/converter") as typeof import("tslab/dist/converter");

test("files changing on disk between cells neither throw nor break the next conversion", async () => {
  const folder = mkdtempSync(join(tmpdir(), "converter-timers-"));
  const uncaught: Error[] = [];
  const record = (error: Error): void => void uncaught.push(error);
  process.on("uncaughtException", record);
  const previousFolder = process.cwd();
  tolerateConcurrentWatchTimers(ts.sys);
  writeFileSync(join(folder, "present.ts"), "export const x = 1;\n");
  process.chdir(folder); // tslab's converter compiles relative to the working directory
  const converter = createConverter({ isJS: false, isBrowser: false });
  try {
    const cell = 'import { x } from "./present";\nimport { y } from "./missing";\nx + y';
    assert.match(converter.convert("", cell).diagnostics.map((d) => d.messageText).join("\n"), /Cannot find module '.\/missing'/);
    writeFileSync(join(folder, "present.ts"), "export const x = 2;\n");
    writeFileSync(join(folder, "missing.ts"), "export const y = 3;\n");
    await sleep(4000); // TypeScript's file watchers poll
    const after = converter.convert("", cell);
    assert.deepEqual(after.diagnostics, []);
    assert.match(after.output ?? "", /require\("\.\/missing"\)/);
    assert.deepEqual(uncaught.map((e) => e.message), []);
  } finally {
    converter.close();
    process.chdir(previousFolder);
    process.off("uncaughtException", record);
    rmSync(folder, { recursive: true, force: true });
  }
});
