/**
 * Runs reference computations in Debian's Python with torch/torchvision (/usr/bin/python3). Tests
 * skip, loudly, only when that interpreter lacks torch; CI installs it.
 */
import { spawnSync } from "node:child_process";

export const PYTHON = "/usr/bin/python3";

let available: boolean | undefined;

/** Undefined when torchvision is importable, otherwise the reason to pass as a test's `skip`. */
export function torchvisionMissing(): string | undefined {
  if (available === undefined) {
    const probe = spawnSync(PYTHON, ["-c", "import torch, torchvision"], { encoding: "utf8" });
    available = probe.status === 0;
    if (!available) {
      console.error(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n" +
          `!!! SKIPPING torchvision PARITY TESTS: ${PYTHON} cannot import torch/torchvision.\n` +
          "!!! Install python3-torch and python3-torchvision (apt) to run them.\n" +
          "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n",
      );
    }
  }
  return available ? undefined : `${PYTHON} lacks torch/torchvision (install python3-torch python3-torchvision)`;
}

/** Runs `script` with `input` on stdin and returns stdout as a Buffer; throws with stderr on failure. */
export function runPython(script: string, input?: Buffer, args: string[] = []): Buffer {
  const result = spawnSync(PYTHON, ["-c", script, ...args], {
    input,
    maxBuffer: 1 << 30,
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  if (result.status !== 0) {
    throw new Error(`python reference failed (${result.status}):\n${result.stderr.toString()}`);
  }
  return result.stdout;
}
