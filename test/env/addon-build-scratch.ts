/**
 * A scratch copy of an addon's install-time build script (with kernel-lib/env/addon-build-report.js at the
 * same relative place), so a test can run it and read its marker without touching the real addon.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repository = path.resolve(__dirname, "../..");

/** `script` relative to the repository, e.g. "kernel-lib/data/native/build.js"; the caller removes `scratch`. */
export function scratchCopyOfBuildScript(script: string): { scratch: string; scriptFolder: string; scriptPath: string } {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "addon-build-"));
  const scriptPath = path.join(scratch, script);
  const report = "kernel-lib/env/addon-build-report.js";
  for (const file of [script, report]) {
    fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
    fs.copyFileSync(path.join(repository, file), path.join(scratch, file));
  }
  return { scratch, scriptFolder: path.dirname(scriptPath), scriptPath };
}
