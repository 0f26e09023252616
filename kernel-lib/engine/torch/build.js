#!/usr/bin/env node
// Builds the torch engine's native addon against the libtorch this machine has.
// Run from npm's postinstall: it must never fail the install, so every problem ends in a message and
// exit code 0, and kernel-lib/engine/torch then reports "not available" with the reason written here.
//
// Where libtorch is looked for, first match wins:
//   1. TORCH_ENGINE_LIBTORCH=<dir> holding include/ and lib/ (an unpacked libtorch zip, a custom build);
//   2. the `torch` Python package when it was built with CUDA (a GPU box: python3, then /usr/bin/python3);
//   3. Debian's libtorch-dev (/usr/include/torch + /usr/lib/<triplet>/libtorch.so);
//   4. a CPU-only `torch` Python package that ships its headers.
// Set TORCH_ENGINE_SKIP_BUILD=1 to skip the build entirely. Where the finder looks can be narrowed, e.g. to
// rehearse a machine without libtorch: TORCH_ENGINE_PYTHONS (':'-separated interpreters to ask, default
// "python3:/usr/bin/python3"; empty asks none) and TORCH_ENGINE_SYSTEM_ROOT (the root under which Debian's
// usr/include and usr/lib/<triplet> are looked for, default "/").
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { addonBuildReport } = require("../../env/addon-build-report");

const nativeDirectory = path.join(__dirname, "native");
const buildDirectory = path.join(nativeDirectory, "build");
const markerPath = path.join(buildDirectory, "engine.json");

const { log, writeMarker, giveUp, nodeGypRebuild } = addonBuildReport("torch engine", markerPath, "TF.js keeps working on its other backends (wasm/cpu)");

function hasLibtorch(includeDirectory, libraryDirectory) {
  return (
    fs.existsSync(path.join(includeDirectory, "torch", "csrc", "api", "include", "torch", "version.h")) &&
    fs.existsSync(path.join(libraryDirectory, "libtorch.so"))
  );
}

function pythonTorch(python) {
  const script =
    "import torch, os, json; print(json.dumps({'root': os.path.dirname(torch.__file__), " +
    "'abi': int(torch._C._GLIBCXX_USE_CXX11_ABI), 'cuda': torch.version.cuda, 'version': torch.__version__}))";
  const result = spawnSync(python, ["-c", script], { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0 || !result.stdout) return undefined;
  try {
    const info = JSON.parse(result.stdout.trim().split("\n").pop());
    const include = path.join(info.root, "include");
    const lib = path.join(info.root, "lib");
    if (!hasLibtorch(include, lib)) return undefined;
    return { source: `python torch ${info.version} (${python})`, include, lib, abi: info.abi, cuda: info.cuda || null };
  } catch {
    return undefined;
  }
}

function debianLibtorch() {
  const root = process.env.TORCH_ENGINE_SYSTEM_ROOT ?? "/";
  const include = path.join(root, "usr", "include");
  const triplets = ["x86_64-linux-gnu", "aarch64-linux-gnu"];
  for (const triplet of triplets) {
    const lib = path.join(root, "usr", "lib", triplet);
    if (hasLibtorch(include, lib)) return { source: "Debian libtorch-dev", include, lib, abi: 1, cuda: null };
  }
  return undefined;
}

function findLibtorch() {
  const explicit = process.env.TORCH_ENGINE_LIBTORCH;
  if (explicit) {
    const include = path.join(explicit, "include");
    const lib = path.join(explicit, "lib");
    if (!hasLibtorch(include, lib)) giveUp(`TORCH_ENGINE_LIBTORCH=${explicit} has no include/torch or lib/libtorch.so`, "Point TORCH_ENGINE_LIBTORCH at an unpacked libtorch folder.");
    const abi = Number(process.env.TORCH_ENGINE_CXX11_ABI ?? 1);
    const cuda = fs.existsSync(path.join(lib, "libtorch_cuda.so")) ? "unknown" : null;
    return { source: `TORCH_ENGINE_LIBTORCH=${explicit}`, include, lib, abi, cuda };
  }
  const pythons = (process.env.TORCH_ENGINE_PYTHONS ?? "python3:/usr/bin/python3").split(":").filter(Boolean);
  const pythonCandidates = [];
  for (const python of pythons) {
    const found = pythonTorch(python);
    if (found) pythonCandidates.push(found);
  }
  const withCuda = pythonCandidates.find((candidate) => candidate.cuda);
  if (withCuda) return withCuda;
  return debianLibtorch() ?? pythonCandidates[0];
}

function main() {
  if (process.env.TORCH_ENGINE_SKIP_BUILD === "1") giveUp("TORCH_ENGINE_SKIP_BUILD=1", "Unset TORCH_ENGINE_SKIP_BUILD and run `node kernel-lib/engine/torch/build.js`.");
  const libtorch = findLibtorch();
  if (!libtorch) {
    giveUp(
      "no libtorch found (no Debian libtorch-dev, no `torch` Python package with headers)",
      "apt-get install -y --no-install-recommends libtorch-dev (CPU), or pip install torch (GPU), then `node kernel-lib/engine/torch/build.js`.",
    );
  }
  const extraLibraries = [];
  if (libtorch.cuda) {
    for (const name of ["torch_cuda", "c10_cuda"]) {
      if (fs.existsSync(path.join(libtorch.lib, `lib${name}.so`))) extraLibraries.push(`-l${name}`);
    }
  }
  log(`building against ${libtorch.source}: include ${libtorch.include}, lib ${libtorch.lib}, _GLIBCXX_USE_CXX11_ABI=${libtorch.abi}${libtorch.cuda ? `, CUDA ${libtorch.cuda}` : ", CPU only"}`);
  const { nodedir, seconds } = nodeGypRebuild(nativeDirectory, {
    jobs: process.env.TORCH_ENGINE_JOBS ?? 2,
    env: {
      ...process.env,
      TORCH_ENGINE_INCLUDE: libtorch.include,
      TORCH_ENGINE_LIB: libtorch.lib,
      TORCH_ENGINE_CXX11_ABI: String(libtorch.abi),
      TORCH_ENGINE_EXTRA_LIBS: extraLibraries.join(" "),
    },
    fixAfterCompileError: "Fix the compiler error above, then `node kernel-lib/engine/torch/build.js`.",
  });
  const addon = path.join(buildDirectory, "Release", "torch_engine.node");
  writeMarker({ built: true, addon, libtorch, nodedir, buildSeconds: seconds });
  log(`built ${addon} in ${seconds} s`);
}

main();
