/**
 * A real SIGINT (what Jupyter's stop button sends to the kernel) delivered to a process running `fit`:
 * training stops after the current step, the checkpoint is written and the error says how to resume.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readCheckpointProgress } from "../../kernel-lib/train/checkpoint";

const script = (checkpoint: string) => `
const tf = require("@tensorflow/tfjs");
const { fit } = require("./kernel-lib/train/fit");
const { SGD } = require("./kernel-lib/train/sgd");
const { ClusterLoader, TinyClassifier } = require("./test/train/fixtures");
tf.setBackend("cpu");
class SlowLoader extends ClusterLoader {
  async *[Symbol.asyncIterator]() {
    for await (const batch of super[Symbol.asyncIterator]()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      yield batch;
    }
  }
}
const model = new TinyClassifier(12, 8, 3);
let reported = false;
fit(model, { train: new SlowLoader(4000, 4) }, {
  epochs: 5, optimizer: new SGD(model.namedParameters(), { lr: 0.1 }), checkpoint: ${JSON.stringify(checkpoint)}, progress: false,
  callbacks: [{ onBatchEnd: () => { if (!reported) { reported = true; console.log("TRAINING"); } } }],
}).then(() => console.log("FINISHED"), (error) => console.log("STOPPED " + error.name + ": " + error.message));
`;

test("a real SIGINT stops fit after the current step and leaves a resumable checkpoint", async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "kernel-lib-sigint-"));
  const checkpoint = path.join(folder, "last.ckpt");
  const child = spawn(process.execPath, ["--require", "ts-node/register/transpile-only", "-e", script(checkpoint)], { cwd: path.resolve(__dirname, "../..") });
  let output = "";
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("TRAINING")) resolve();
    });
    child.on("exit", () => reject(new Error(`child exited before training:\n${output}\n${errors}`)));
  });
  child.kill("SIGINT");
  const code = await exited;
  assert.equal(code, 0, `the process ends normally, not killed by the signal:\n${output}\n${errors}`);
  assert.match(output, /STOPPED TrainingInterrupted: fit: interrupted at epoch 1, step \d+; state saved to .*last\.ckpt\. Continue with fit\(\.\.\., \{ checkpoint: .*, resume: true \}\)/);
  const progress = readCheckpointProgress(checkpoint);
  assert.equal(progress.epoch, 0);
  assert.ok((progress.stepInEpoch ?? 0) >= 1 && (progress.stepInEpoch ?? 0) < 1000, `step ${progress.stepInEpoch}`);
  fs.rmSync(folder, { recursive: true });
});
