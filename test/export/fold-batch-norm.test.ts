/**
 * The inference graph built from a torchvision ResNet state dict reproduces PyTorch's eval logits,
 * and folding BatchNorm into the convs changes them by float rounding only.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { foldBatchNorm, assertNoBatchNorm } from "../../kernel-lib/export/fold-batch-norm";
import { resnetGraphFromStateDict } from "../../kernel-lib/export/resnet-graph";
import { runInferenceGraph } from "../../kernel-lib/export/run-inference-graph";
import { countGraphWeights, inferShapes } from "../../kernel-lib/export/inference-graph";
import { torchvisionMissing } from "../data/python-reference";
import { disposeFixture, maxAbsDiff, torchResNetFixture } from "./torch-resnet-fixture";

const skip = torchvisionMissing();

for (const cifarStem of [false, true]) {
  test(`ResNet graph matches PyTorch before and after BatchNorm folding (${cifarStem ? "CIFAR" : "ImageNet"} stem)`, { skip }, async () => {
    await useWasmBackend();
    const fixture = torchResNetFixture({ layers: [1, 1, 1, 1], classes: 7, imageSize: cifarStem ? 16 : 48, batch: 3, cifarStem, seed: 3 });
    const graph = resnetGraphFromStateDict(fixture.stateDict, { inputShape: fixture.inputShape });
    assert.equal(graph.nodes.some((node) => node.op === "maxPool"), !cifarStem);
    const folded = foldBatchNorm(graph);
    assertNoBatchNorm(folded, "test");
    assert.equal(folded.nodes.filter((node) => node.op === "batchNorm").length, 0);
    assert.equal(folded.nodes.length, graph.nodes.length - graph.nodes.filter((node) => node.op === "batchNorm").length);
    assert.deepEqual(inferShapes(folded).get(folded.output), [7]);
    assert.ok(countGraphWeights(folded) < countGraphWeights(graph));

    const before = tf.memory().numTensors;
    const unfoldedLogits = runInferenceGraph(graph, fixture.images);
    const foldedLogits = runInferenceGraph(folded, fixture.images);
    const unfoldedError = maxAbsDiff(unfoldedLogits, fixture.logits);
    const foldedError = maxAbsDiff(foldedLogits, fixture.logits);
    console.log(`unfolded vs torch ${unfoldedError.toExponential(2)}, folded vs torch ${foldedError.toExponential(2)}`);
    assert.ok(unfoldedError <= 1e-4, `unfolded graph differs from PyTorch by ${unfoldedError}`);
    assert.ok(foldedError <= 1e-4, `folded graph differs from PyTorch by ${foldedError}`);
    unfoldedLogits.dispose();
    foldedLogits.dispose();
    assert.equal(tf.memory().numTensors, before);
    disposeFixture(fixture);
  });
}

test("a BatchNorm whose conv output is also read elsewhere is not folded and the exporters refuse it", () => {
  const weight = (shape: number[], fill: number) => ({ shape, values: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) });
  const graph = {
    name: "shared-conv",
    input: "input",
    inputShape: [4, 4, 1] as [number, number, number],
    nodes: [
      { op: "conv2d" as const, name: "conv", input: "input", filter: weight([1, 1, 1, 2], 1), strides: [1, 1] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number] },
      { op: "batchNorm" as const, name: "bn", input: "conv", gamma: weight([2], 2), beta: weight([2], 0), runningMean: weight([2], 0), runningVar: weight([2], 1), epsilon: 0 },
      { op: "add" as const, name: "sum", inputs: ["conv", "bn"] as [string, string] },
    ],
    output: "sum",
  };
  const folded = foldBatchNorm(graph);
  assert.equal(folded.nodes.length, 3);
  assert.throws(() => assertNoBatchNorm(folded, "toLayersModel"), /BatchNorm "bn" does not follow a conv/);
});
