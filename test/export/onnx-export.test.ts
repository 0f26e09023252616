/**
 * ONNX export checked by onnxruntime-node (an engine nobody here wrote): a resnet18 graph with
 * NCHW and NHWC inputs gives PyTorch's logits; the file declares opset 13 and decodes with the schema.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { resnetGraphFromStateDict } from "../../kernel-lib/export/resnet-graph";
import { exportOnnxFile, graphToOnnx, ONNX_OPSET } from "../../kernel-lib/export/onnx-export";
import { onnxModelProto } from "../../kernel-lib/export/onnx-schema";
import { openOnnxSession, runOnnxSession } from "../../kernel-lib/export/onnx-runtime";
import { torchvisionMissing } from "../data/python-reference";
import { disposeFixture, maxAbsDiff, torchResNetFixture } from "./torch-resnet-fixture";

const skip = torchvisionMissing();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "onnx-export-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test("onnxruntime-node runs the exported resnet18 and agrees with PyTorch (NCHW and NHWC inputs)", { skip }, async () => {
  await useWasmBackend();
  const fixture = torchResNetFixture({ layers: [2, 2, 2, 2], classes: 10, imageSize: 64, batch: 3, cifarStem: false, seed: 5 });
  const graph = resnetGraphFromStateDict(fixture.stateDict, { inputShape: fixture.inputShape, name: "resnet18" });
  for (const inputLayout of ["NCHW", "NHWC"] as const) {
    const file = path.join(scratch, `resnet18-${inputLayout}.onnx`);
    const bytes = exportOnnxFile(graph, file, { inputLayout, metadata: { classes: "0,1,2,3,4,5,6,7,8,9" } });
    assert.equal(fs.statSync(file).size, bytes);
    const session = await openOnnxSession(file, { threads: 2 });
    assert.deepEqual(session.inputNames, ["input"]);
    assert.deepEqual(session.outputNames, ["logits"]);
    const logits = await runOnnxSession(session, fixture.images, inputLayout);
    const diff = maxAbsDiff(logits, fixture.logits);
    console.log(`onnxruntime-node ${inputLayout}: max |Δ| vs PyTorch ${diff.toExponential(2)}, ${(bytes / 1e6).toFixed(1)} MB`);
    assert.ok(diff <= 1e-4, `ONNX (${inputLayout}) logits differ from PyTorch by ${diff}`);
    logits.dispose();
    await session.release();
  }
  disposeFixture(fixture);
});

test("the ONNX bytes decode with the schema: opset, IR version, folded convs, metadata", { skip }, () => {
  const fixture = torchResNetFixture({ layers: [1, 1, 1, 1], classes: 4, imageSize: 32, batch: 1, cifarStem: true, seed: 1 });
  const graph = resnetGraphFromStateDict(fixture.stateDict, { inputShape: fixture.inputShape });
  const ModelProto = onnxModelProto();
  const decoded = ModelProto.toObject(ModelProto.decode(graphToOnnx(graph, { inputLayout: "NHWC" })), { longs: Number }) as {
    ir_version: number;
    opset_import: { version: number }[];
    metadata_props: { key: string; value: string }[];
    graph: { node: { op_type: string }[]; initializer: { name: string; dims: number[] }[] };
  };
  assert.ok(ONNX_OPSET >= 13);
  assert.equal(decoded.opset_import[0].version, ONNX_OPSET);
  assert.equal(decoded.ir_version, 7);
  const ops = decoded.graph.node.map((node) => node.op_type);
  assert.equal(ops[0], "Transpose");
  assert.equal(ops.includes("BatchNormalization"), false);
  assert.equal(ops.includes("MaxPool"), false, "CIFAR stem has no max-pool");
  assert.deepEqual(decoded.graph.initializer.find((tensor) => tensor.name === "conv1.weight")?.dims, [64, 3, 3, 3]);
  assert.deepEqual(decoded.metadata_props, [{ key: "input_layout", value: "NHWC" }]);
  disposeFixture(fixture);
});

test("graphToOnnx rejects an unknown input layout with the allowed values", () => {
  const graph = { name: "g", input: "input", inputShape: [2, 2, 1] as [number, number, number], nodes: [{ op: "relu" as const, name: "r", input: "input" }], output: "r" };
  assert.throws(() => graphToOnnx(graph, { inputLayout: "CHW" as "NCHW" }), /inputLayout must be "NCHW" or "NHWC"/);
});
