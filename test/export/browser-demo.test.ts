/**
 * The exported web page, served from a loopback http server and opened in headless Debian Chromium,
 * loads the TF.js model with the tf.min.js copied beside it and prints the same class (and logits)
 * that the graph evaluator computes in Node for the same PNG.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { resnetGraphFromStateDict } from "../../kernel-lib/export/resnet-graph";
import { foldBatchNorm } from "../../kernel-lib/export/fold-batch-norm";
import { runInferenceGraph } from "../../kernel-lib/export/run-inference-graph";
import { writeBrowserDemo } from "../../kernel-lib/export/browser-demo";
import { torchvisionMissing } from "../data/python-reference";
import { disposeFixture, torchResNetFixture } from "./torch-resnet-fixture";
import { chromiumMissing, runChromium } from "../plots/headless-chromium";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "browser-demo-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const skip = torchvisionMissing() ?? chromiumMissing("the browser page test");

test("headless Chromium classifies the sample image like the Node evaluator", { skip, timeout: 180_000 }, async () => {
  await useWasmBackend();
  const fixture = torchResNetFixture({ layers: [1, 1, 1, 1], classes: 5, imageSize: 32, batch: 1, cifarStem: false, seed: 21 });
  const graph = resnetGraphFromStateDict(fixture.stateDict, { inputShape: fixture.inputShape, name: "tiny-resnet" });
  const classNames = ["ant", "bee", "cat <3", "dog & co", "eel"];
  const mean: [number, number, number] = [0.485, 0.456, 0.406];
  const std: [number, number, number] = [0.229, 0.224, 0.225];

  const pixels = Buffer.alloc(32 * 32 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919 + (i >> 5) * 104729) % 256;
  const pngPath = path.join(scratch, "input.png");
  await sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(pngPath);

  const demoDir = path.join(scratch, "demo");
  const demo = writeBrowserDemo(graph, demoDir, { classNames, mean, std, sampleImage: pngPath });
  assert.ok(fs.existsSync(path.join(demoDir, "tf.min.js")));
  assert.equal(demo.sampleImage, "sample.png");

  // Node reference: the PNG's own pixels through the graph evaluator.
  const decoded = await sharp(pngPath).removeAlpha().raw().toBuffer();
  assert.deepEqual(decoded, pixels);
  const expected = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(decoded), [1, 32, 32, 3]).div(255).sub(tf.tensor1d(mean)).div(tf.tensor1d(std)) as tf.Tensor4D;
    return runInferenceGraph(foldBatchNorm(graph), x);
  });
  const expectedLogits = Array.from(expected.dataSync());
  expected.dispose();
  const expectedClass = classNames[expectedLogits.indexOf(Math.max(...expectedLogits))];

  const server = http.createServer((req, res) => {
    const relative = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "") || "index.html";
    const file = path.resolve(demoDir, relative);
    if (!file.startsWith(demoDir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) return void res.writeHead(404).end();
    const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json", ".png": "image/png" };
    res.writeHead(200, { "Content-Type": types[path.extname(file)] ?? "application/octet-stream" }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const dom = await runChromium(scratch, ["--dump-dom"], `http://127.0.0.1:${port}/index.html?backend=cpu`, 30_000);
    const result = /<pre id="result"([^>]*)>([^<]*)<\/pre>/.exec(dom);
    assert.ok(result, `no #result in the page:\n${dom.slice(0, 2000)}`);
    const printed = result[2].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    assert.equal(printed, `class: ${expectedClass}`, `page printed "${printed}"`);
    const logits = JSON.parse(/<pre id="logits">([^<]*)<\/pre>/.exec(dom)?.[1] ?? "[]") as number[];
    assert.equal(logits.length, classNames.length);
    const diff = Math.max(...logits.map((value, i) => Math.abs(value - expectedLogits[i])));
    console.log(`browser page: "${printed}", max |Δ logits| vs Node ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-4, `browser logits differ from Node's by ${diff}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    disposeFixture(fixture);
  }
});
