// What the install-time addon builds (kernel-lib/engine/torch/build.js, kernel-lib/data/native/build.js)
// say and leave behind. Both run from npm's postinstall and must never fail the install: every problem ends
// in a message, a marker file saying why (read later by the environment check and the addon loaders), and
// exit code 0.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

/**
 * `label` prefixes every line ("torch engine"); `markerPath` is the JSON marker; `fallback` says what keeps
 * working without the addon. Returns { log, writeMarker, giveUp, nodeGypRebuild }.
 */
function addonBuildReport(label, markerPath, fallback) {
  const log = (message) => console.log(`[${label}] ${message}`);
  const writeMarker = (marker) => {
    fs.mkdirSync(path.dirname(markerPath), { recursive: true });
    const temporary = `${markerPath}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify({ ...marker, writtenAt: new Date().toISOString() }, null, 2) + "\n");
    fs.renameSync(temporary, markerPath);
  };
  const giveUp = (reason, fix) => {
    log(`not built: ${reason}`);
    log(`fix: ${fix}`);
    log(`${fallback}; this is not an install error.`);
    writeMarker({ built: false, reason, fix });
    process.exit(0);
  };
  /**
   * `node-gyp rebuild` in `nativeDirectory` against the Node headers installed next to this node (they
   * cannot be downloaded offline); gives up, naming the fix, when the headers, node-gyp or the compile fail.
   * Returns { nodedir, seconds }.
   */
  const nodeGypRebuild = (nativeDirectory, { env = process.env, jobs = 2, fixAfterCompileError }) => {
    const nodedir = [path.dirname(path.dirname(process.execPath)), "/usr", "/usr/local"]
      .find((directory) => fs.existsSync(path.join(directory, "include", "node", "node_api.h")));
    if (!nodedir) giveUp("no Node headers (include/node/node_api.h) next to this node", "Install the nodejs headers (Debian: libnode-dev) and rebuild.");
    let nodeGyp;
    try {
      nodeGyp = require.resolve("node-gyp/bin/node-gyp.js");
    } catch {
      giveUp("node-gyp is not installed", "npm install (node-gyp is a dependency), then rebuild.");
    }
    const started = Date.now();
    const result = spawnSync(process.execPath, [nodeGyp, "rebuild", `--nodedir=${nodedir}`, `--jobs=${jobs}`], { cwd: nativeDirectory, stdio: "inherit", env });
    const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
    if (result.status !== 0) giveUp(`node-gyp failed after ${seconds} s (exit ${result.status}; compiler output above)`, fixAfterCompileError);
    return { nodedir, seconds };
  };
  return { log, writeMarker, giveUp, nodeGypRebuild };
}

module.exports = { addonBuildReport };
