import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeHardware, reproducingCommand, resultFilePath, writeRunResultFile } from "../../kernel-lib/report/run-result";
import { readRunResult, type RunResult } from "../../kernel-lib/report/results-table";

function sampleResult(overrides: Partial<RunResult> = {}): RunResult {
  return {
    name: "CIFAR-10 ResNet18", framework: "TypeScript (TF.js + kernel-lib)", backend: "torch (cpu)",
    hardware: "2 CPU cores (Test CPU), no GPU used", dataset: "CIFAR-10 (JPEG copy)", trainImages: 200, testImages: 100,
    epochs: 1, batchSize: 128, wallSeconds: 12.5, testAccuracy: 0.25, command: "LAB_MODE=full run", finishedAt: "2026-01-01T00:00:00.000Z",
    ...overrides,
  };
}

test("writeRunResultFile writes a file readRunResult reads back, and leaves no temporary file", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "run-result-"));
  try {
    const file = writeRunResultFile(sampleResult(), "cifar10-resnet18-typescript", folder);
    assert.equal(file, path.join(folder, "cifar10-resnet18-typescript.json"));
    assert.deepEqual(readRunResult(file), sampleResult());
    assert.deepEqual(fs.readdirSync(folder), ["cifar10-resnet18-typescript.json"]);
    // Rewriting replaces the file whole.
    writeRunResultFile(sampleResult({ testAccuracy: 0.5 }), "cifar10-resnet18-typescript", folder);
    assert.equal(readRunResult(file).testAccuracy, 0.5);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test("writeRunResultFile rejects a bad result before touching the file, naming the field", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "run-result-"));
  try {
    assert.throws(() => writeRunResultFile(sampleResult({ testAccuracy: 93.1 }), "x", folder), /"testAccuracy" must be a fraction/);
    assert.throws(() => writeRunResultFile(sampleResult({ epochs: 1.5 }), "x", folder), /"epochs" must be a whole number/);
    assert.throws(() => writeRunResultFile(sampleResult({ command: " " }), "x", folder), /"command" must be a non-empty string/);
    assert.throws(() => writeRunResultFile(sampleResult({ wallSeconds: Number.NaN }), "x", folder), /"wallSeconds"/);
    assert.deepEqual(fs.readdirSync(folder), []);
    assert.ok(writeRunResultFile(sampleResult({ testAccuracy: null }), "x", folder).endsWith("x.json"));
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test("resultFilePath keeps result files inside the results folder", () => {
  assert.equal(resultFilePath("a.json", "r"), path.join("r", "a.json"));
  assert.throws(() => resultFilePath("../README", "r"), /no folders/);
  assert.throws(() => resultFilePath("", "r"), /result file name/);
});

test("reproducingCommand puts the LAB_* settings in front of the command, or of the wrapper named by LAB_RUN_COMMAND", () => {
  const env = { LAB_MODE: "full", LAB_EPOCHS: "1", LAB_CIFAR10_ROOT: "/data/my cifar", HOME: "/root", LAB_EMPTY: "" };
  assert.equal(reproducingCommand("jupyter nbconvert x", env), "LAB_CIFAR10_ROOT='/data/my cifar' LAB_EPOCHS=1 LAB_MODE=full jupyter nbconvert x");
  assert.equal(reproducingCommand("jupyter nbconvert x", { ...env, LAB_RUN_COMMAND: "npm run full:cifar10" }), "LAB_CIFAR10_ROOT='/data/my cifar' LAB_EPOCHS=1 LAB_MODE=full npm run full:cifar10");
});

test("describeHardware names the GPU when one was used, else the CPU model and core count", () => {
  const cpus = [{ model: "Test  CPU @ 2GHz" }, { model: "Test  CPU @ 2GHz" }] as os.CpuInfo[];
  assert.equal(describeHardware(undefined, cpus), "2 CPU cores (Test CPU @ 2GHz), no GPU used");
  assert.equal(describeHardware("NVIDIA H200", cpus), "GPU: NVIDIA H200; host 2 CPU cores (Test CPU @ 2GHz)");
});
