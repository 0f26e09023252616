// The JPEG addon's install-time build must never fail `npm install`: when it does not build it says why,
// leaves a marker the decoder reads, and exits 0 (the data pipeline then decodes with sharp).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { scratchCopyOfBuildScript } from "../env/addon-build-scratch";

test("kernel-lib/data/native/build.js exits 0 with a reason and a marker when it does not build", () => {
  const { scratch, scriptFolder, scriptPath } = scratchCopyOfBuildScript("kernel-lib/data/native/build.js");
  try {
    const skipped = spawnSync(process.execPath, [scriptPath], { encoding: "utf8", env: { ...process.env, LAB_JPEG_SKIP_BUILD: "1" } });
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stdout, /\[jpeg decoder\] not built: LAB_JPEG_SKIP_BUILD=1/);
    assert.match(skipped.stdout, /decoded with sharp instead .*not an install error/);
    const marker = JSON.parse(fs.readFileSync(path.join(scriptFolder, "build", "jpeg.json"), "utf8")) as { built: boolean; reason: string; fix: string };
    assert.equal(marker.built, false);
    assert.equal(marker.reason, "LAB_JPEG_SKIP_BUILD=1");
    assert.match(marker.fix, /build\.js/);
    assert.deepEqual(fs.readdirSync(path.join(scriptFolder, "build")), ["jpeg.json"], "the marker is written atomically (no temporary file left)");
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
