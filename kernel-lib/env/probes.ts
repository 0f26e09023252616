/**
 * Everything the environment check and backend selection learn about the machine goes through this
 * interface, so tests can describe a GPU box (or a broken one) without having it.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";

// Type-only: the engine (a native addon) is loaded lazily, and only when probed.
import type { TorchBackendStatus } from "../engine/torch";
export type { TorchBackendStatus };

/** Outcome of loading @tensorflow/tfjs-node or -node-gpu and activating its 'tensorflow' backend. */
export type TensorflowNodeStatus =
  | { loaded: false; error: string }
  | { loaded: true; version: string; isUsingGpuDevice: boolean };

export interface CommandResult {
  ok: boolean;
  stdout: string;
  error?: string;
}

export interface EnvironmentProbes {
  env: Readonly<Record<string, string | undefined>>;
  runCommand(command: string, args: readonly string[]): CommandResult;
  /** Full path of a shared library the dynamic loader would find, or undefined. */
  findSharedLibrary(soname: string): string | undefined;
  /** undefined when the torch engine module is not built/present at all. */
  loadTorchEngine(): TorchBackendStatus | undefined;
  loadTensorflowNode(packageName: "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node"): TensorflowNodeStatus;
  diskFreeBytes(directory: string): number | undefined;
}

function runCommand(command: string, args: readonly string[]): CommandResult {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  if (result.error) return { ok: false, stdout: "", error: result.error.message };
  if (result.status !== 0) return { ok: false, stdout: result.stdout ?? "", error: (result.stderr ?? "").trim() };
  return { ok: true, stdout: result.stdout ?? "" };
}

function findSharedLibrary(soname: string): string | undefined {
  // LD_LIBRARY_PATH first: that is where the kernel launcher puts the pip-installed CUDA 11 libraries.
  for (const directory of (process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean)) {
    const candidate = path.join(directory, soname);
    if (fs.existsSync(candidate)) return candidate;
  }
  const cache = runCommand("ldconfig", ["-p"]);
  if (!cache.ok) {
    const sbin = runCommand("/sbin/ldconfig", ["-p"]);
    if (!sbin.ok) return undefined;
    cache.stdout = sbin.stdout;
  }
  for (const line of cache.stdout.split("\n")) {
    const match = /^\s*(\S+)\s.*=>\s*(\S+)\s*$/.exec(line);
    if (match && match[1] === soname) return match[2];
  }
  return undefined;
}

function loadTorchEngine(): TorchBackendStatus | undefined {
  let engine: { loadTorchBackend?: () => TorchBackendStatus };
  try {
    // Lazy and optional: the engine is a native addon that may not be built on this machine.
    engine = require("../engine/torch") as typeof engine;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "MODULE_NOT_FOUND") return undefined;
    return { available: false, reason: `loading kernel-lib/engine/torch failed: ${(error as Error).message}`, fix: "Rebuild the torch engine (see kernel-lib/engine/torch)." };
  }
  if (typeof engine.loadTorchBackend !== "function") return undefined;
  try {
    return engine.loadTorchBackend();
  } catch (error) {
    return { available: false, reason: `loadTorchBackend() threw: ${(error as Error).message}`, fix: "Rebuild the torch engine (see kernel-lib/engine/torch)." };
  }
}

function loadTensorflowNode(packageName: string): TensorflowNodeStatus {
  let version = "?";
  try {
    // Never a static import: these optional packages are normally absent, and loading one starts libtensorflow.
    require(packageName);
    version = (require(`${packageName}/package.json`) as { version: string }).version;
  } catch (error) {
    return { loaded: false, error: (error as Error).message.split("\n")[0] };
  }
  // findBackend initialises the backend without making it the active one.
  const backend = tf.findBackend("tensorflow") as unknown as { isUsingGpuDevice?: boolean } | null;
  if (backend === null) return { loaded: false, error: `${packageName} loaded but registered no 'tensorflow' backend` };
  return { loaded: true, version, isUsingGpuDevice: backend.isUsingGpuDevice === true };
}

function diskFreeBytes(directory: string): number | undefined {
  try {
    const stats = fs.statfsSync(directory);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** Probes that look at the real machine. */
export function machineProbes(): EnvironmentProbes {
  return { env: process.env, runCommand, findSharedLibrary, loadTorchEngine, loadTensorflowNode, diskFreeBytes };
}
