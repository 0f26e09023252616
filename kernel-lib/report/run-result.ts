/**
 * Writing a finished run's result file (notebooks/results/<name>.json), the only input of the README's
 * results table (see results-table.ts): the numbers there must come from real runs, never from typing.
 * Shared by every notebook and script that records a run, so all files carry the same fields, the same
 * hardware wording and the command that reproduces them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunResult } from "./results-table";

/** Where result files live, relative to the repository root (the notebooks' working directory). */
export const RESULTS_FOLDER = "notebooks/results";

/** Set by a wrapper (e.g. an npm script) to its own name, recorded instead of the notebook's runner command. */
export const RUN_COMMAND_VARIABLE = "LAB_RUN_COMMAND";

const TEXT_FIELDS = ["name", "framework", "backend", "hardware", "dataset", "command", "finishedAt"] as const;
const COUNT_FIELDS = ["trainImages", "testImages", "epochs"] as const;

/**
 * The machine a run used, in the words the table shows: the GPU when the backend ran on one, else the CPU
 * model and its core count from os.cpus() (e.g. "2 CPU cores (AMD EPYC 7B13), no GPU used").
 */
export function describeHardware(gpuName?: string, cpus: readonly os.CpuInfo[] = os.cpus()): string {
  const model = cpus.length > 0 ? cpus[0].model.trim().replace(/\s+/g, " ") : "unknown CPU";
  const host = `${cpus.length} CPU cores (${model})`;
  return gpuName ? `GPU: ${gpuName}; host ${host}` : `${host}, no GPU used`;
}

/**
 * The command line that reproduces this run: the LAB_* settings this process was started with (sorted,
 * shell-quoted where needed) in front of `base`, or of `LAB_RUN_COMMAND` when a wrapper set it (so
 * `LAB_EPOCHS=1 npm run x` is recorded as such). Settings that only say where things are on this machine
 * still matter to reproduce, so all are kept.
 */
export function reproducingCommand(base: string, env: NodeJS.ProcessEnv = process.env): string {
  const wrapper = env[RUN_COMMAND_VARIABLE]?.trim();
  const settings = Object.keys(env)
    .filter((name) => name.startsWith("LAB_") && name !== RUN_COMMAND_VARIABLE && env[name] !== undefined && env[name] !== "")
    .sort()
    .map((name) => `${name}=${shellQuote(env[name] as string)}`);
  return [...settings, wrapper || base].join(" ");
}

function shellQuote(value: string): string {
  return /^[\w./:@%+,=-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/** Throws, naming the field and the fix, unless `result` has every field the table needs, well typed. */
export function checkRunResult(result: RunResult): void {
  const record = result as unknown as Record<string, unknown>;
  for (const field of [...TEXT_FIELDS, ...COUNT_FIELDS, "wallSeconds", "testAccuracy"]) {
    if (!(field in record)) throw new Error(`run result: missing field "${field}"`);
  }
  for (const field of TEXT_FIELDS) {
    if (typeof record[field] !== "string" || (record[field] as string).trim() === "") {
      throw new Error(`run result: "${field}" must be a non-empty string, got ${JSON.stringify(record[field])}`);
    }
  }
  for (const field of COUNT_FIELDS) {
    const value = record[field];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new Error(`run result: "${field}" must be a whole number >= 0, got ${JSON.stringify(value)}`);
    }
  }
  if (!(typeof result.wallSeconds === "number" && Number.isFinite(result.wallSeconds) && result.wallSeconds >= 0)) {
    throw new Error(`run result: "wallSeconds" must be a finite number of seconds >= 0, got ${JSON.stringify(result.wallSeconds)}`);
  }
  const accuracy = result.testAccuracy;
  if (accuracy !== null && !(typeof accuracy === "number" && accuracy >= 0 && accuracy <= 1)) {
    throw new Error(`run result: "testAccuracy" must be a fraction in [0, 1] (not percent) or null, got ${JSON.stringify(accuracy)}`);
  }
  if (result.batchSize !== undefined && !(Number.isInteger(result.batchSize) && result.batchSize > 0)) {
    throw new Error(`run result: "batchSize" must be a positive integer when given, got ${JSON.stringify(result.batchSize)}`);
  }
}

/** `cifar10-resnet18-typescript` → notebooks/results/cifar10-resnet18-typescript.json; rejects names that are not plain file names. */
export function resultFilePath(fileName: string, folder: string = RESULTS_FOLDER): string {
  if (!/^[A-Za-z0-9][\w.-]*$/.test(fileName)) {
    throw new Error(`result file name ${JSON.stringify(fileName)}: use letters, digits, ".", "_" and "-" only (no folders), e.g. "cifar10-resnet18-typescript"`);
  }
  return path.join(folder, fileName.endsWith(".json") ? fileName : `${fileName}.json`);
}

/**
 * Checks the result and writes it as pretty JSON, atomically (a temporary file renamed over the target),
 * so the table generator never reads half a file and an interrupted write leaves the old one intact.
 * Returns the written path.
 */
export function writeRunResultFile(result: RunResult, fileName: string, folder: string = RESULTS_FOLDER): string {
  checkRunResult(result);
  const file = resultFilePath(fileName, folder);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, JSON.stringify(result, null, 2) + "\n");
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new Error(`writing ${file} failed: ${(error as Error).message}; check that ${path.dirname(file)} is writable`);
  }
  return file;
}
