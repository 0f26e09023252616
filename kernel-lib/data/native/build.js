#!/usr/bin/env node
// Builds the libjpeg-turbo decoding addon (kernel-lib/data/native) that ImageFolder uses for JPEGs.
// Run from npm's postinstall: it must never fail the install, so every problem ends in a message, a
// marker file saying why, and exit code 0; kernel-lib then decodes everything with sharp.
// LAB_JPEG_SKIP_BUILD=1 skips the build.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const nativeDirectory = __dirname;
const buildDirectory = path.join(nativeDirectory, "build");
const markerPath = path.join(buildDirectory, "jpeg.json");
const addonPath = path.join(buildDirectory, "Release", "lab_jpeg.node");

function log(message) {
  console.log(`[jpeg decoder] ${message}`);
}

function writeMarker(marker) {
  fs.mkdirSync(buildDirectory, { recursive: true });
  const temporary = `${markerPath}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify({ ...marker, writtenAt: new Date().toISOString() }, null, 2) + "\n");
  fs.renameSync(temporary, markerPath);
}

function giveUp(reason, fix) {
  log(`not built: ${reason}`);
  log(`fix: ${fix}`);
  log("images are decoded with sharp instead (slower for JPEGs); this is not an install error.");
  writeMarker({ built: false, reason, fix });
  process.exit(0);
}

/** Where jpeglib.h is: the default include path, or a multiarch folder next to it. */
function hasLibjpegHeaders() {
  const roots = ["/usr/include", "/usr/local/include"];
  return roots.some((root) => fs.existsSync(path.join(root, "jpeglib.h")));
}

function nodeHeadersDirectory() {
  // Node headers cannot be downloaded on an offline machine; use the ones installed next to node.
  const candidates = [path.dirname(path.dirname(process.execPath)), "/usr", "/usr/local"];
  return candidates.find((directory) => fs.existsSync(path.join(directory, "include", "node", "node_api.h")));
}

function main() {
  if (process.env.LAB_JPEG_SKIP_BUILD === "1") giveUp("LAB_JPEG_SKIP_BUILD=1", "Unset LAB_JPEG_SKIP_BUILD and run `node kernel-lib/data/native/build.js`.");
  if (!hasLibjpegHeaders()) {
    giveUp("no libjpeg headers (jpeglib.h)", "apt-get install -y --no-install-recommends libjpeg62-turbo-dev g++ make, then `node kernel-lib/data/native/build.js`.");
  }
  const nodedir = nodeHeadersDirectory();
  if (!nodedir) giveUp("no Node headers (include/node/node_api.h) next to this node", "Install the nodejs headers (Debian: libnode-dev) and rebuild.");
  let nodeGyp;
  try {
    nodeGyp = require.resolve("node-gyp/bin/node-gyp.js");
  } catch {
    giveUp("node-gyp is not installed", "npm install (node-gyp is a dependency), then `node kernel-lib/data/native/build.js`.");
  }
  log("building against the system libjpeg-turbo (-ljpeg)");
  const started = Date.now();
  const result = spawnSync(process.execPath, [nodeGyp, "rebuild", `--nodedir=${nodedir}`, "--jobs=2"], { cwd: nativeDirectory, stdio: "inherit" });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    giveUp(
      `node-gyp failed after ${seconds} s (exit ${result.status}; compiler output above)`,
      "Install g++, make and libjpeg62-turbo-dev (libjpeg-turbo >= 1.5: the addon uses jpeg_crop_scanline), then `node kernel-lib/data/native/build.js`.",
    );
  }
  writeMarker({ built: true, addon: addonPath, nodedir, buildSeconds: Number(seconds) });
  log(`built ${addonPath} in ${seconds} s`);
}

main();
