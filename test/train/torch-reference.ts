/**
 * Runs PyTorch (Debian's /usr/bin/python3 with torch 1.13) as the reference for parity tests. Tests skip,
 * loudly, only when that interpreter lacks torch; CI installs it.
 */
import { spawnSync } from "node:child_process";

export const PYTHON = "/usr/bin/python3";

let missingReason: string | null | undefined;

/** Undefined when torch imports, otherwise the reason to pass as a test's `skip`. */
export function torchMissing(): string | undefined {
  if (missingReason === undefined) {
    const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
    missingReason = probe.status === 0 ? null : `${PYTHON} cannot import torch (install python3-torch)`;
    if (missingReason !== null) {
      console.error(`\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! SKIPPING PyTorch PARITY TESTS: ${missingReason}\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`);
    }
  }
  return missingReason ?? undefined;
}

/** Runs `script` with `input` as JSON on stdin and parses its stdout as JSON. */
export function runTorch<T>(script: string, input: unknown): T {
  const result = spawnSync(PYTHON, ["-c", script], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  if (result.status !== 0) throw new Error(`PyTorch reference failed (${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Deterministic pseudo-random numbers in [-1, 1) for test data (an LCG; quality is irrelevant here). */
export function testNumbers(count: number, seed: number): number[] {
  let state = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out.push(state / 2 ** 31 - 1);
  }
  return out;
}
