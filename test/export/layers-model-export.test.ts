/**
 * TF.js LayersModel export: written to disk, loaded back with tf.loadLayersModel (from the folder and
 * over http like a browser), its logits match PyTorch's and the folded graph's; quantized variants
 * decode to what the quantizer promised and shrink the shards by 2x / 4x.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { foldBatchNorm } from "../../kernel-lib/export/fold-batch-norm";
import { resnetGraphFromStateDict } from "../../kernel-lib/export/resnet-graph";
import { runInferenceGraph } from "../../kernel-lib/export/run-inference-graph";
import { graphToLayersArtifacts } from "../../kernel-lib/export/layers-model-export";
import { layersModelFromDirectory, registerFileUrlLoader, writeLayersModelFiles } from "../../kernel-lib/export/model-files";
import { pathToFileURL } from "node:url";
import { graphNodeWeights } from "../../kernel-lib/export/inference-graph";
import { torchvisionMissing } from "../data/python-reference";
import { disposeFixture, maxAbsDiff, torchResNetFixture, type TorchResNetFixture } from "./torch-resnet-fixture";

const skip = torchvisionMissing();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "layers-export-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let fixture: TorchResNetFixture | undefined;
function resnet18Fixture(): TorchResNetFixture {
  fixture ??= torchResNetFixture({ layers: [2, 2, 2, 2], classes: 10, imageSize: 64, batch: 2, cifarStem: false, seed: 11 });
  return fixture;
}
after(() => fixture && disposeFixture(fixture));

test("resnet18 LayersModel round trip from disk matches PyTorch and the folded graph", { skip }, async () => {
  await useWasmBackend();
  const { stateDict, images, logits, inputShape } = resnet18Fixture();
  const graph = resnetGraphFromStateDict(stateDict, { inputShape, name: "resnet18" });
  const directory = path.join(scratch, "float32");
  const written = writeLayersModelFiles(directory, graphToLayersArtifacts(graph));
  assert.ok(written.shards.length > 1, "a 44 MB model is split into 4 MB shards");
  assert.deepEqual(fs.readdirSync(scratch).filter((file) => /\.(partial|previous)-/.test(file)), []);
  const folded = foldBatchNorm(graph);
  const foldedParameters = folded.nodes.flatMap(graphNodeWeights).reduce((sum, weight) => sum + weight.values.length, 0);
  assert.equal(written.weightBytes, foldedParameters * 4);

  const model = await tf.loadLayersModel(layersModelFromDirectory(directory));
  assert.equal(model.layers.filter((layer) => layer.getClassName() === "BatchNormalization").length, 0);
  const before = tf.memory().numTensors;
  const exported = model.predict(images) as tf.Tensor2D;
  const reference = runInferenceGraph(folded, images);
  const vsTorch = maxAbsDiff(exported, logits);
  const vsGraph = maxAbsDiff(exported, reference);
  console.log(`resnet18 LayersModel: max |Δ| vs PyTorch ${vsTorch.toExponential(2)}, vs folded graph ${vsGraph.toExponential(2)}`);
  assert.ok(vsTorch <= 1e-4, `exported logits differ from PyTorch by ${vsTorch}`);
  assert.ok(vsGraph <= 1e-4, `exported logits differ from the graph by ${vsGraph}`);
  exported.dispose();
  reference.dispose();
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test("the exported folder loads over http with tf.loadLayersModel(url), as a browser would", { skip }, async () => {
  await useWasmBackend();
  const { stateDict, images, logits, inputShape } = resnet18Fixture();
  const directory = path.join(scratch, "served");
  writeLayersModelFiles(directory, graphToLayersArtifacts(resnetGraphFromStateDict(stateDict, { inputShape })));
  const served: string[] = [];
  const server = http.createServer((req, res) => {
    const file = path.join(directory, path.basename(new URL(req.url ?? "/", "http://x").pathname));
    served.push(path.basename(file));
    if (!fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const model = await tf.loadLayersModel(`http://127.0.0.1:${port}/model.json`);
    const exported = model.predict(images) as tf.Tensor2D;
    const diff = maxAbsDiff(exported, logits);
    assert.ok(diff <= 1e-4, `http-loaded logits differ from PyTorch by ${diff}`);
    assert.ok(served.some((file) => file.startsWith("group1-shard")));
    exported.dispose();
    model.dispose();
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("registerFileUrlLoader makes tf.loadLayersModel(file://…/model.json) work without tfjs-node", { skip }, async () => {
  await useWasmBackend();
  const { stateDict, images, logits, inputShape } = resnet18Fixture();
  const directory = path.join(scratch, "file url");
  writeLayersModelFiles(directory, graphToLayersArtifacts(resnetGraphFromStateDict(stateDict, { inputShape })));
  const url = pathToFileURL(path.join(directory, "model.json")).href;
  // Without the loader TF.js falls back to fetch(), which cannot read file:// URLs in Node.
  await assert.rejects(tf.loadLayersModel(url));
  registerFileUrlLoader();
  registerFileUrlLoader();
  const model = await tf.loadLayersModel(url);
  const exported = model.predict(images) as tf.Tensor2D;
  const diff = maxAbsDiff(exported, logits);
  assert.ok(diff <= 1e-4, `file:// loaded logits differ from PyTorch by ${diff}`);
  exported.dispose();
  model.dispose();
});

test("float16 and uint8 exports decode to the quantized weights and shrink the shards", { skip }, async () => {
  await useWasmBackend();
  const { stateDict, images, logits, inputShape } = resnet18Fixture();
  const graph = resnetGraphFromStateDict(stateDict, { inputShape });
  const folded = foldBatchNorm(graph);
  const floatBytes = writeLayersModelFiles(path.join(scratch, "q-float32"), graphToLayersArtifacts(graph)).weightBytes;
  for (const [quantization, ratio, tolerance] of [["float16", 2, 2e-3], ["uint8", 4, 0.05]] as const) {
    const directory = path.join(scratch, `q-${quantization}`);
    const written = writeLayersModelFiles(directory, graphToLayersArtifacts(graph, { quantization }));
    assert.equal(written.weightBytes, floatBytes / ratio);
    const model = await tf.loadLayersModel(layersModelFromDirectory(directory));
    // Check the decoded kernel independently of the encoder: float16 values must sit on the half
    // grid (step 2^(e-10)) within half a step of the original; uint8 within half of the manifest step.
    const conv1 = folded.nodes.find((node) => node.name === "conv1");
    assert.ok(conv1 && conv1.op === "conv2d");
    const decoded = model.getLayer("conv1").getWeights()[0].dataSync();
    const original = conv1.filter.values;
    let worst = 0;
    if (quantization === "float16") {
      for (let i = 0; i < original.length; i++) {
        const exponent = Math.max(Math.floor(Math.log2(Math.abs(original[i]) || 1)), -14);
        const step = 2 ** (exponent - 10);
        const offGrid = Math.abs(decoded[i] / step - Math.round(decoded[i] / step));
        const error = Math.abs(decoded[i] - original[i]);
        worst = Math.max(worst, offGrid > 1e-9 || error > step / 2 ? Infinity : 0);
      }
      assert.equal(worst, 0, "a float16-decoded weight is off the half grid or more than half a step away");
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const value of original) {
        min = Math.min(min, value);
        max = Math.max(max, value);
      }
      for (let i = 0; i < original.length; i++) worst = Math.max(worst, Math.abs(decoded[i] - original[i]));
      assert.ok(worst <= (max - min) / 255 / 2 + 1e-6, `uint8 error ${worst} exceeds half a step`);
    }
    const out = model.predict(images) as tf.Tensor2D;
    const diff = maxAbsDiff(out, logits);
    console.log(`${quantization}: weights ${written.weightBytes} B (float32 ${floatBytes} B), max |Δ logits| ${diff.toExponential(2)}`);
    assert.ok(diff > 0 && diff <= tolerance, `${quantization} logits differ by ${diff}`);
    out.dispose();
    model.dispose();
  }
});

test("re-exporting into a folder replaces it whole (no stale shards) and refuses folders with other files", () => {
  const graph = {
    name: "tiny",
    input: "input",
    inputShape: [4, 4, 1] as [number, number, number],
    nodes: [
      { op: "conv2d" as const, name: "conv", input: "input", filter: { shape: [1, 1, 1, 8], values: new Float32Array(8).fill(0.5) }, strides: [1, 1] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number] },
      { op: "globalAvgPool" as const, name: "pool", input: "conv" },
    ],
    output: "pool",
  };
  const directory = path.join(scratch, "rewrite");
  const many = writeLayersModelFiles(directory, graphToLayersArtifacts(graph), 8);
  assert.equal(many.shards.length, 4);
  const few = writeLayersModelFiles(directory, graphToLayersArtifacts(graph, { quantization: "uint8" }), 8);
  assert.equal(few.shards.length, 1);
  assert.deepEqual(fs.readdirSync(directory).sort(), ["group1-shard1of1.bin", "model.json"]);
  fs.writeFileSync(path.join(directory, "notes.txt"), "mine");
  assert.throws(() => writeLayersModelFiles(directory, graphToLayersArtifacts(graph)), /holds other files \(notes\.txt\)/);
  assert.equal(fs.readFileSync(path.join(directory, "notes.txt"), "utf8"), "mine");
});

test("layer names that clash after sanitizing (dots vs underscores) stay unique and load", async () => {
  const filter = { shape: [1, 1, 1, 1], values: new Float32Array([2]) };
  const graph = {
    name: "a.b",
    input: "a.b",
    inputShape: [2, 2, 1] as [number, number, number],
    nodes: [
      { op: "conv2d" as const, name: "a_b", input: "a.b", filter, strides: [1, 1] as [number, number], pads: [1, 1, 1, 1] as [number, number, number, number] },
      { op: "relu" as const, name: "1x", input: "a_b" },
      { op: "globalAvgPool" as const, name: "a_b_2", input: "1x" },
    ],
    output: "a_b_2",
  };
  const artifacts = graphToLayersArtifacts(graph);
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const names = model.layers.map((layer) => layer.name);
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.includes("l_1x"));
  // Worked by hand: a 2x2 input of ones, zero-padded to 4x4, times the 1x1 filter 2:
  // the padded border is 12 zeros and the 2x2 centre holds 2, so the mean is 4 * 2 / 16 = 0.5.
  const out = model.predict(tf.ones([1, 2, 2, 1])) as tf.Tensor;
  assert.deepEqual(Array.from(out.dataSync()), [0.5]);
  out.dispose();
  model.dispose();
});
