/**
 * Executes a notebook headless through the project's kernel with Jupyter's own runner (nbconvert /
 * nbclient, Debian packages on /usr/bin/python3), the way a user's "Restart & Run All" would, and
 * lists what went wrong in its outputs. Used by the report CLI and by the notebook smoke tests.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Name of the committed kernelspec under jupyter/kernels/ that notebooks must name. */
export const KERNEL_NAME = "ts-resnet-lab";

export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  execution_count?: number | null;
}

export interface NotebookCell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: NotebookOutput[];
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: { kernelspec?: { name?: string; display_name?: string }; [key: string]: unknown };
  nbformat: number;
  nbformat_minor: number;
}

export interface ExecuteNotebookOptions {
  /** The .ipynb to run (not modified). */
  notebookPath: string;
  /** Folder that receives the executed notebook under the same file name. */
  outputDir: string;
  /** LAB_MODE for the kernel (see kernel-lib/env/run-mode.ts); default: LAB_MODE from the environment, else "sample". */
  mode?: string;
  /** Keep running after a failing cell (the failure stays in the outputs). Default true. */
  allowErrors?: boolean;
  /** Seconds one cell may run; -1 for no limit. Default: no limit in full mode (a training cell runs for hours), else 1800. */
  cellTimeoutSeconds?: number;
  /** Repository root holding jupyter/kernels/. Default: two folders above this file. */
  repoRoot?: string;
  /** Extra environment for the kernel. */
  env?: NodeJS.ProcessEnv;
}

export interface ExecutedNotebook {
  executedPath: string;
  notebook: Notebook;
  wallSeconds: number;
}

export const DEFAULT_REPO_ROOT = path.resolve(__dirname, "../..");
const PYTHON = "/usr/bin/python3";

export function readNotebook(notebookPath: string): Notebook {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(notebookPath, "utf8"));
  } catch (error) {
    throw new Error(`${notebookPath} is not a readable notebook (.ipynb JSON): ${(error as Error).message}`);
  }
  const notebook = parsed as Partial<Notebook>;
  if (!Array.isArray(notebook.cells) || typeof notebook.metadata !== "object") {
    throw new Error(`${notebookPath} has no "cells"/"metadata": save it from Jupyter as an nbformat 4 notebook.`);
  }
  return notebook as Notebook;
}

/** Throws unless the notebook names this project's kernelspec (Jupyter does not fall back by language). */
export function assertUsesProjectKernel(notebookPath: string, notebook: Notebook): void {
  const name = notebook.metadata.kernelspec?.name;
  if (name !== KERNEL_NAME) {
    throw new Error(
      `${notebookPath}: metadata.kernelspec.name is ${JSON.stringify(name)}; it must be "${KERNEL_NAME}" ` +
        `(in Jupyter: Kernel > Change kernel > "TypeScript (kernel-lib)", then save).`,
    );
  }
}

export async function executeNotebook(options: ExecuteNotebookOptions): Promise<ExecutedNotebook> {
  const repoRoot = options.repoRoot ?? DEFAULT_REPO_ROOT;
  const source = readNotebook(options.notebookPath);
  assertUsesProjectKernel(options.notebookPath, source);
  const mode = options.mode ?? process.env.LAB_MODE ?? "sample";
  const name = path.basename(options.notebookPath);
  fs.mkdirSync(options.outputDir, { recursive: true });
  // nbconvert writes into a scratch folder beside the target; the rename makes the result appear whole.
  const scratch = fs.mkdtempSync(path.join(options.outputDir, ".executing-"));
  const started = Date.now();
  try {
    const args = nbconvertArguments(options, mode, scratch);
    const env = {
      ...process.env,
      ...options.env,
      JUPYTER_PATH: path.join(path.resolve(repoRoot), "jupyter"),
      LAB_MODE: mode,
    };
    await runPython(args, env, options.notebookPath);
    const executedPath = path.join(options.outputDir, name);
    fs.renameSync(path.join(scratch, name), executedPath);
    return { executedPath, notebook: readNotebook(executedPath), wallSeconds: (Date.now() - started) / 1000 };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The nbconvert command line (after the Python interpreter) that executes one notebook into `scratch`. */
export function nbconvertArguments(options: ExecuteNotebookOptions, mode: string, scratch: string): string[] {
  const cellTimeout = options.cellTimeoutSeconds ?? (mode === "full" ? -1 : 1800);
  return [
    "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
    `--ExecutePreprocessor.timeout=${cellTimeout}`,
    "--ExecutePreprocessor.startup_timeout=120",
    `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
    ...(options.allowErrors === false ? [] : ["--allow-errors"]),
    "--output-dir", scratch, "--output", path.basename(options.notebookPath),
    path.resolve(options.notebookPath),
  ];
}

function runPython(args: string[], env: NodeJS.ProcessEnv, notebookPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const missing = /No module named '?(jupyter|nbconvert|nbclient)/.test(stderr) || (error as NodeJS.ErrnoException).code === "ENOENT";
      const fix = missing
        ? "\nInstall Jupyter for /usr/bin/python3: apt-get install -y --no-install-recommends jupyter-notebook jupyter-nbconvert python3-nbclient"
        : "";
      reject(new Error(`executing ${notebookPath} with nbconvert failed (exit ${error.code}):\n${tail(stderr, 4000)}${fix}`));
    });
  });
}

function tail(text: string, length: number): string {
  return text.length <= length ? text : `...${text.slice(-length)}`;
}

export function outputText(output: NotebookOutput): string {
  const join = (value: unknown): string => (Array.isArray(value) ? value.join("") : typeof value === "string" ? value : "");
  const data = Object.values(output.data ?? {}).map(join).join("\n");
  const traceback = output.traceback ? output.traceback.join("\n") : "";
  return [join(output.text), data, output.ename ? `${output.ename}: ${output.evalue ?? ""}` : "", traceback].filter(Boolean).join("\n");
}

/** stderr text that reports an exception (Node's stack lines, "XxxError:", uncaught/unhandled). */
const EXCEPTION_IN_STDERR = /\b[A-Z]\w*(?:Error|Exception)\b|\bUncaught\b|\bUnhandled promise rejection\b|^\s+at .+:\d+:\d+\)?$/m;

/** One line per failure found in an executed notebook: error outputs, exceptions on stderr, cells that did not run. */
export function notebookProblems(notebook: Notebook): string[] {
  const problems: string[] = [];
  notebook.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const where = `cell ${index + 1}`;
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    if (source.trim() !== "" && (cell.execution_count === null || cell.execution_count === undefined)) {
      problems.push(`${where}: did not run (no execution_count)`);
    }
    for (const output of cell.outputs ?? []) {
      if (output.output_type === "error") {
        problems.push(`${where}: ${output.ename}: ${output.evalue}\n${(output.traceback ?? []).join("\n")}`);
      } else if (output.output_type === "stream" && output.name === "stderr" && EXCEPTION_IN_STDERR.test(outputText(output))) {
        problems.push(`${where}: exception on stderr:\n${outputText(output)}`);
      }
    }
  });
  return problems;
}

/** All text of a notebook's outputs (stream text, every MIME type's data, errors), for content checks. */
export function allOutputText(notebook: Notebook): string {
  return notebook.cells.flatMap((cell) => cell.outputs ?? []).map(outputText).join("\n");
}

/** A fresh temporary folder (callers remove it). */
export function temporaryFolder(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
