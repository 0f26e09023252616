/**
 * Export straight from kernel-lib/models module trees: torchvision's resnet18 and the CIFAR surgery
 * (3x3 stride-1 conv1, Identity max-pool) with PyTorch's weights loaded. The module's own forward,
 * PyTorch's logits and both exports (reloaded by tf.loadLayersModel and onnxruntime-node) agree.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { resnet18, Conv2d, Identity } from "../../kernel-lib/models";
import { exportModel } from "../../kernel-lib/export/export-model";
import { torchvisionMissing } from "../data/python-reference";
import { disposeFixture, maxAbsDiff, torchResNetFixture } from "./torch-resnet-fixture";

const skip = torchvisionMissing();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "models-export-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test("CIFAR resnet18 from kernel-lib/models with PyTorch weights: forward, TF.js and ONNX exports match PyTorch", { skip }, async () => {
  await useWasmBackend();
  const fixture = torchResNetFixture({ layers: [2, 2, 2, 2], classes: 10, imageSize: 16, batch: 3, cifarStem: true, seed: 17 });
  const model = resnet18({ numClasses: 10 });
  model.conv1 = new Conv2d(3, 64, 3, { stride: 1, padding: 1, bias: false });
  model.maxpool = new Identity();
  const state: Record<string, tf.Tensor> = Object.fromEntries(fixture.stateDict);
  const counters: tf.Tensor[] = [];
  for (const key of Object.keys(model.stateDict())) {
    if (!(key in state) && key.endsWith("num_batches_tracked")) counters.push((state[key] = tf.scalar(0, "int32")));
  }
  model.loadStateDict(state);
  model.eval();
  const forward = tf.tidy(() => model.forward(fixture.images));
  const forwardVsTorch = maxAbsDiff(forward, fixture.logits);
  assert.ok(forwardVsTorch <= 1e-4, `kernel-lib/models forward differs from PyTorch by ${forwardVsTorch}`);

  const exported = await exportModel(model, path.join(scratch, "cifar"), { inputShape: fixture.inputShape, images: fixture.images });
  assert.equal(exported.graph.nodes.some((node) => node.op === "maxPool"), false);
  assert.equal(exported.graph.nodes.some((node) => node.op === "batchNorm"), false);
  for (const check of exported.checks) {
    console.log(`models resnet18 (CIFAR) ${check.format}: max |Δ| vs forward ${check.maxAbsDiff.toExponential(2)}`);
    assert.ok(check.ok, `${check.format} differs from forward by ${check.maxAbsDiff}`);
  }
  tf.dispose([forward, ...counters]);
  model.dispose();
  disposeFixture(fixture);
});

test("torchvision-layout resnet18 from kernel-lib/models (7x7 stem, max-pool) exports and verifies", { skip }, async () => {
  await useWasmBackend();
  const model = resnet18({ numClasses: 6 });
  // Non-trivial running statistics, so BatchNorm folding is really exercised.
  const state = model.stateDict();
  const replaced: Record<string, tf.Tensor> = {};
  for (const [key, tensor] of Object.entries(state)) {
    if (key.endsWith("running_mean")) replaced[key] = tf.randomUniform(tensor.shape, -0.2, 0.2, "float32", 1);
    else if (key.endsWith("running_var")) replaced[key] = tf.randomUniform(tensor.shape, 0.5, 2, "float32", 2);
  }
  model.loadStateDict({ ...state, ...replaced });
  tf.dispose(Object.values(replaced));
  model.eval();
  const images = tf.randomUniform([2, 64, 64, 3], -1, 1, "float32", 3) as tf.Tensor4D;
  const exported = await exportModel(model, path.join(scratch, "imagenet"), { inputShape: [64, 64, 3], images });
  assert.equal(exported.graph.nodes.filter((node) => node.op === "maxPool").length, 1);
  for (const check of exported.checks) {
    console.log(`models resnet18 (ImageNet) ${check.format}: max |Δ| vs forward ${check.maxAbsDiff.toExponential(2)}`);
    assert.ok(check.ok, `${check.format} differs from forward by ${check.maxAbsDiff}`);
  }
  images.dispose();
  model.dispose();
});
