// The kernelspec's launcher, run from a copy of the repo layout with a stub kernel that reports the
// environment it was started with: env set before Node starts, CUDA 11 folders first on
// LD_LIBRARY_PATH, libuv's thread pool sized to the cores, working directory = repo root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { temporaryFolder } from "../../kernel-lib/report/notebook-runner";

const repo = resolve(__dirname, "../..");
const STUB_KERNEL = `import * as fs from "node:fs";
fs.writeFileSync(process.argv[2], JSON.stringify({
  cwd: process.cwd(),
  ldLibraryPath: process.env.LD_LIBRARY_PATH ?? "",
  growth: process.env.TF_FORCE_GPU_ALLOW_GROWTH,
  logLevel: process.env.TF_CPP_MIN_LOG_LEVEL,
  threadPool: process.env.UV_THREADPOOL_SIZE,
}));
`;

interface LaunchReport {
  cwd: string;
  ldLibraryPath: string;
  growth?: string;
  logLevel?: string;
  threadPool?: string;
}

function launch(root: string, env: NodeJS.ProcessEnv): LaunchReport {
  const reportFile = join(root, "report.json");
  // Started from elsewhere, as Jupyter does (it runs kernels in the notebook's folder).
  const run = spawnSync("/bin/sh", [join(root, "jupyter/kernels/ts-resnet-lab/launch.sh"), reportFile], {
    cwd: "/", env: { PATH: process.env.PATH, ...env }, encoding: "utf8", timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(readFileSync(reportFile, "utf8")) as LaunchReport;
}

test("launch.sh sets the TF variables, puts CUDA 11 folders first and starts the kernel in the repo root", () => {
  const root = temporaryFolder("launcher-");
  try {
    mkdirSync(join(root, "jupyter/kernels/ts-resnet-lab"), { recursive: true });
    copyFileSync(join(repo, "jupyter/kernels/ts-resnet-lab/launch.sh"), join(root, "jupyter/kernels/ts-resnet-lab/launch.sh"));
    writeFileSync(join(root, "jupyter/kernel.ts"), STUB_KERNEL);
    symlinkSync(join(repo, "node_modules"), join(root, "node_modules"));
    copyFileSync(join(repo, "tsconfig.json"), join(root, "tsconfig.json")); // ts-node reads it
    for (const wheel of ["cuda_runtime", "cudnn"]) mkdirSync(join(root, ".cuda11/nvidia", wheel, "lib"), { recursive: true });

    const defaults = launch(root, { LD_LIBRARY_PATH: "/usr/local/lib" });
    assert.equal(defaults.cwd, root);
    assert.equal(defaults.growth, "true");
    assert.equal(defaults.logLevel, "2");
    // One libuv thread per core for the decoders, at least libuv's own 4.
    assert.equal(defaults.threadPool, String(Math.max(4, availableParallelism())));
    assert.equal(
      defaults.ldLibraryPath,
      [join(root, ".cuda11/nvidia/cuda_runtime/lib"), join(root, ".cuda11/nvidia/cudnn/lib"), "/usr/local/lib"].join(":"),
    );

    const overridden = launch(root, { LAB_CUDA11_LIBS: "/opt/cuda11/lib64", TF_CPP_MIN_LOG_LEVEL: "0", TF_FORCE_GPU_ALLOW_GROWTH: "false", UV_THREADPOOL_SIZE: "6" });
    assert.equal(overridden.threadPool, "6", "the user's choice is kept");
    assert.equal(overridden.logLevel, "0");
    assert.equal(overridden.growth, "false");
    assert.ok(overridden.ldLibraryPath.startsWith("/opt/cuda11/lib64:"), overridden.ldLibraryPath);
    assert.ok(!overridden.ldLibraryPath.endsWith(":"), "no empty entry (the current directory) at the end");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("kernel.json is relocatable: argv built on {resource_dir}, the expected names", () => {
  const spec = JSON.parse(readFileSync(join(repo, "jupyter/kernels/ts-resnet-lab/kernel.json"), "utf8")) as {
    argv: string[]; display_name: string; language: string;
  };
  assert.deepEqual(spec.argv, ["/bin/sh", "{resource_dir}/launch.sh", "{connection_file}"]);
  assert.equal(spec.display_name, "TypeScript (kernel-lib)");
  assert.equal(spec.language, "typescript");
});
