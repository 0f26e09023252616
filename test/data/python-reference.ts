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

/**
 * Python lines that read what `runPythonOnImage` writes: `spec` (the JSON object, with height and
 * width) and `img` (the RGB pixels as a PIL image). Reference scripts start with them.
 */
export const READ_IMAGE_AND_SPEC = `
import sys, json, struct, numpy as np
from PIL import Image
n = struct.unpack('<I', sys.stdin.buffer.read(4))[0]
spec = json.loads(sys.stdin.buffer.read(n))
raw = np.frombuffer(sys.stdin.buffer.read(), dtype=np.uint8).reshape(spec['height'], spec['width'], 3)
img = Image.fromarray(raw.copy(), 'RGB')
`;

/** Sends `spec` (plus the image's height and width) and the image's RGB bytes to `script` (see READ_IMAGE_AND_SPEC). */
export function runPythonOnImage(script: string, image: { height: number; width: number; data: Uint8Array | Float32Array }, spec: object): Buffer {
  if (!(image.data instanceof Uint8Array)) throw new Error("runPythonOnImage: pass an image with uint8 pixels (a decoded image, before ToTensor)");
  const header = Buffer.from(JSON.stringify({ height: image.height, width: image.width, ...spec }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return runPython(script, Buffer.concat([length, header, Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)]));
}
