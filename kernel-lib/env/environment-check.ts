/**
 * The TypeScript counterpart of the tutorials' `!nvidia-smi` / `torch.cuda.is_available()` cell: one table
 * saying what runs where, and for each faster backend not in use, why not and how to fix it.
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { display, type MimeBundle } from "../plots/display";
import { escapeHtml } from "../plots/table";
import { decodeThreadCount } from "../data/decode-threads";
import { nativeJpegStatus } from "../data/native-jpeg";
import { diagnoseBackends, type BackendDiagnosis } from "./backend-selection";
import { machineProbes, type EnvironmentProbes } from "./probes";

export type RowStatus = "ok" | "problem" | "info";

export interface EnvironmentRow {
  item: string;
  value: string;
  status: RowStatus;
  fix?: string;
}

export interface EnvironmentReport {
  rows: EnvironmentRow[];
  diagnosis: BackendDiagnosis;
  /** The TF.js backend active when the report was made. */
  activeBackend: string;
}

export interface CheckEnvironmentOptions {
  probes?: EnvironmentProbes;
  /** Where disk space is measured; the working directory (the repo root in the kernel) by default. */
  directory?: string;
}

function gibibytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function wasmVersion(): string {
  try {
    return (require("@tensorflow/tfjs-backend-wasm/package.json") as { version: string }).version;
  } catch {
    return "absent";
  }
}

/** Gathers the report; does not change the active backend (call useBestBackend first). */
export function checkEnvironment(options: CheckEnvironmentOptions = {}): EnvironmentReport {
  const probes = options.probes ?? machineProbes();
  const activeBackend = tf.getBackend() ?? "none";
  const diagnosis = diagnoseBackends(probes);
  const rows: EnvironmentRow[] = [
    { item: "Node", value: process.version, status: "info" },
    { item: "TF.js", value: tf.version.tfjs, status: "info" },
    { item: "tfjs-backend-wasm", value: wasmVersion(), status: "info" },
  ];
  if (diagnosis.tensorflowNode?.status.loaded)
    rows.push({ item: diagnosis.tensorflowNode.packageName, value: diagnosis.tensorflowNode.status.version, status: "info" });
  if (diagnosis.torch?.available) rows.push({ item: "libtorch", value: diagnosis.torch.libtorchVersion, status: "info" });

  const activeIndex = diagnosis.candidates.findIndex((candidate) => candidate.usable && candidate.backend === activeBackend);
  const active = activeIndex >= 0 ? diagnosis.candidates[activeIndex] : undefined;
  rows.push({ item: "Active backend", value: active ? `${active.label}: ${active.reason}` : activeBackend, status: "ok" });
  const better = activeIndex >= 0 ? diagnosis.candidates.slice(0, activeIndex) : diagnosis.candidates;
  for (const candidate of better) {
    if (candidate.backend === activeBackend && !candidate.usable) continue;
    rows.push({
      item: `Not used: ${candidate.label}`,
      value: candidate.usable ? "usable and faster: call useBestBackend()" : candidate.reason,
      status: candidate.fix || candidate.usable ? "problem" : "info",
      fix: candidate.fix,
    });
  }

  if (diagnosis.gpus.length === 0) rows.push({ item: "GPU", value: "none (nvidia-smi not found or no device)", status: "info" });
  diagnosis.gpus.forEach((gpu, index) =>
    rows.push({
      item: `GPU ${index}`,
      value: `${gpu.name}, driver ${gpu.driverVersion}, ${gpu.memoryUsed} / ${gpu.memoryTotal} used`,
      status: "info",
    }),
  );
  if (diagnosis.cudaVersion) rows.push({ item: "CUDA (driver supports up to)", value: diagnosis.cudaVersion, status: "info" });
  if (diagnosis.torch?.available && diagnosis.torch.device === "cuda" && diagnosis.torch.memoryBytes !== undefined)
    rows.push({ item: "torch device memory", value: gibibytes(diagnosis.torch.memoryBytes), status: "info" });
  const tensorflowStatus = diagnosis.tensorflowNode?.status;
  rows.push({
    item: "isUsingGpuDevice (tfjs-node)",
    value: tensorflowStatus?.loaded ? String(tensorflowStatus.isUsingGpuDevice) : "n/a (tfjs-node not loaded)",
    status: tensorflowStatus?.loaded && !tensorflowStatus.isUsingGpuDevice && diagnosis.gpus.length > 0 ? "problem" : "info",
  });
  rows.push({ item: "CPU cores", value: `${os.cpus().length} (${os.cpus()[0]?.model ?? "unknown"})`, status: "info" });
  rows.push(dataLoadingRow(os.availableParallelism(), process.env.UV_THREADPOOL_SIZE));
  rows.push({ item: "Memory", value: `${gibibytes(os.freemem())} free of ${gibibytes(os.totalmem())}`, status: "info" });
  const directory = options.directory ?? process.cwd();
  const free = probes.diskFreeBytes(directory);
  rows.push({ item: "Disk free", value: free === undefined ? "unknown" : `${gibibytes(free)} (${directory})`, status: "info" });
  return { rows, diagnosis, activeBackend };
}

/**
 * Where the DataLoader decodes: libuv's thread pool (UV_THREADPOOL_SIZE threads if set before Node
 * started, else 4) and which JPEG decoder. Fewer threads than cores is a problem on a many-core GPU
 * instance: the GPU waits for batches while cores sit idle.
 */
export function dataLoadingRow(cores: number, threadPoolSetting: string | undefined): EnvironmentRow {
  const threads = decodeThreadCount(threadPoolSetting);
  const jpeg = nativeJpegStatus();
  // Narrowed with `in`: tslab compiles kernel-lib without strictNullChecks, where `available` does not narrow.
  const decoder = "reason" in jpeg ? `sharp (${jpeg.reason})` : `libjpeg-turbo ${jpeg.libjpegTurboVersion} addon`;
  const value = `${threads} decode threads (UV_THREADPOOL_SIZE=${threadPoolSetting ?? "unset"}), JPEGs by ${decoder}`;
  if (threads >= cores) return { item: "Data loading", value, status: "info" };
  return {
    item: "Data loading",
    value: `${value}: ${cores - threads} of ${cores} cores cannot decode`,
    status: "problem",
    fix: `start the kernel through the project's kernelspec (its launcher sets one thread per core), or set UV_THREADPOOL_SIZE=${cores} before Node starts`,
  };
}

const STATUS_MARK: Record<RowStatus, string> = { ok: "✔", problem: "✘", info: "" };

export function environmentReportText(report: EnvironmentReport): string {
  const width = Math.max(...report.rows.map((row) => row.item.length));
  const lines: string[] = [];
  for (const row of report.rows) {
    lines.push(`${STATUS_MARK[row.status] || " "} ${row.item.padEnd(width)}  ${row.value}`);
    if (row.fix) lines.push(`  ${" ".repeat(width)}  fix: ${row.fix}`);
  }
  return lines.join("\n");
}

export function environmentReportHtml(report: EnvironmentReport): string {
  const body = report.rows
    .map((row) => {
      const fix = row.fix ? `<br><code>${escapeHtml(row.fix)}</code>` : "";
      const color = row.status === "problem" ? "#b00020" : row.status === "ok" ? "#1b5e20" : "inherit";
      return `<tr><td style="text-align:left">${STATUS_MARK[row.status]} ${escapeHtml(row.item)}</td><td style="text-align:left;color:${color}">${escapeHtml(row.value)}${fix}</td></tr>`;
    })
    .join("");
  return `<table><thead><tr><th style="text-align:left">item</th><th style="text-align:left">value</th></tr></thead><tbody>${body}</tbody></table>`;
}

export function environmentReportBundle(report: EnvironmentReport): MimeBundle {
  return { "text/plain": environmentReportText(report), "text/html": environmentReportHtml(report) };
}

/** Checks and shows the table (HTML in the notebook, text in a terminal). */
export function showEnvironment(options: CheckEnvironmentOptions = {}): EnvironmentReport {
  const report = checkEnvironment(options);
  display(environmentReportBundle(report));
  return report;
}
