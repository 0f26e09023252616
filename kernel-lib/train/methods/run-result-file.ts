/**
 * Writes a finished semi-supervised run as a result file for the README's generated results table
 * (kernel-lib/report/results-table.ts reads notebooks/results/*.json), so the published numbers come
 * from real runs and never from typing.
 */
import type { RunResult } from "../../report/results-table";
import { writeRunResultFile } from "../../report/run-result";
import { comparisonRows } from "./comparison-report";
import type { SemiSupervisedRun } from "./semi-supervised-run";

export interface RunResultContext {
  /** e.g. "torch (cpu)" — tf.getBackend() plus the device. */
  backend: string;
  /** e.g. "2-core AMD EPYC, no GPU". */
  hardware: string;
  /** e.g. "CIFAR-10 (10% labels, 5,000)". */
  dataset: string;
  /** Unlabeled images used (the labeled ones are counted from the run). */
  unlabeledImages: number;
  testImages: number;
  /** Passes over the labeled split the budget amounts to (the table's "epochs" column). */
  labeledEpochs: number;
  batchSize: number;
  /** How to reproduce, e.g. "LAB_MODE=full npm run lab -> notebooks/03-semi-supervised.ipynb". */
  command: string;
}

/** The result record of one run. */
export function runResult(run: SemiSupervisedRun, context: RunResultContext): RunResult {
  const [row] = comparisonRows([run]);
  return {
    name: `semi-supervised: ${row.method}, ${run.labelsUsed} labels`,
    framework: "TypeScript (TF.js + kernel-lib)",
    backend: context.backend,
    hardware: context.hardware,
    dataset: context.dataset,
    trainImages: run.labelsUsed + (run.method === "supervised" ? 0 : context.unlabeledImages),
    testImages: context.testImages,
    epochs: context.labeledEpochs,
    batchSize: context.batchSize,
    wallSeconds: run.wallSeconds,
    testAccuracy: run.finalAccuracy,
    command: context.command,
    finishedAt: new Date().toISOString(),
  };
}

/** Writes `<folder>/semi-supervised-<method>-<labels>.json` atomically (temp file + rename); returns the path. */
export function writeRunResult(run: SemiSupervisedRun, context: RunResultContext, folder = "notebooks/results"): string {
  return writeRunResultFile(runResult(run, context), `semi-supervised-${run.method}-${run.labelsUsed}`, folder);
}
