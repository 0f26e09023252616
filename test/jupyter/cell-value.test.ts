import { test } from "node:test";
import assert from "node:assert/strict";
import * as util from "node:util";
import * as tf from "@tensorflow/tfjs";
import { describeValue } from "../../jupyter/cell-value";

test("plain values are shown as util.inspect shows them", () => {
  for (const value of [42, "abc", [1, 2], { a: { b: [1] } }, new Map([[1, 2]])]) assert.equal(describeValue(value), util.inspect(value));
});

test("a tensor shows dtype, shape and values; a disposed one says so", async () => {
  await tf.setBackend("cpu");
  const tensor = tf.tensor2d([[1, 2], [3, 4]]);
  const text = describeValue(tensor);
  assert.match(text, /dtype:\s+float32/);
  assert.match(text, /shape:\s+\[2,2\]/);
  assert.match(text, /\[\[1, 2\],\s+\[3, 4\]\]/);
  tensor.dispose();
  assert.equal(describeValue(tensor), "Tensor (disposed) dtype=float32 shape=[2, 2]");
  assert.equal(tf.memory().numTensors, 0);
});
