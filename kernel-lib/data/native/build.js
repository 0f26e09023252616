#!/usr/bin/env node
// Builds the libjpeg-turbo decoding addon (kernel-lib/data/native) that ImageFolder uses for JPEGs.
// Run from npm's postinstall: it must never fail the install, so every problem ends in a message, a
// marker file saying why, and exit code 0; kernel-lib then decodes everything with sharp.
// LAB_JPEG_SKIP_BUILD=1 skips the build.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { addonBuildReport } = require("../../env/addon-build-report");

const nativeDirectory = __dirname;
const buildDirectory = path.join(nativeDirectory, "build");
const markerPath = path.join(buildDirectory, "jpeg.json");
const addonPath = path.join(buildDirectory, "Release", "lab_jpeg.node");

const { log, writeMarker, giveUp, nodeGypRebuild } = addonBuildReport("jpeg decoder", markerPath, "images are decoded with sharp instead (slower for JPEGs)");

/** Where jpeglib.h is: the default include path, or a multiarch folder next to it. */
function hasLibjpegHeaders() {
  const roots = ["/usr/include", "/usr/local/include"];
  return roots.some((root) => fs.existsSync(path.join(root, "jpeglib.h")));
}

function main() {
  if (process.env.LAB_JPEG_SKIP_BUILD === "1") giveUp("LAB_JPEG_SKIP_BUILD=1", "Unset LAB_JPEG_SKIP_BUILD and run `node kernel-lib/data/native/build.js`.");
  if (!hasLibjpegHeaders()) {
    giveUp("no libjpeg headers (jpeglib.h)", "apt-get install -y --no-install-recommends libjpeg62-turbo-dev g++ make, then `node kernel-lib/data/native/build.js`.");
  }
  log("building against the system libjpeg-turbo (-ljpeg)");
  const { nodedir, seconds } = nodeGypRebuild(nativeDirectory, {
    fixAfterCompileError: "Install g++, make and libjpeg62-turbo-dev (libjpeg-turbo >= 1.5: the addon uses jpeg_crop_scanline), then `node kernel-lib/data/native/build.js`.",
  });
  writeMarker({ built: true, addon: addonPath, nodedir, buildSeconds: seconds });
  log(`built ${addonPath} in ${seconds} s`);
}

main();
