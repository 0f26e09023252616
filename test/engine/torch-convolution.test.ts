/**
 * Conv2D (plain and fused) and both backprops on backend "torch" against the cpu backend: strides 1/2,
 * 1x1/3x3/7x7 filters, 'same' (asymmetric at stride 2), 'valid', explicit and dilated padding; pooling
 * with the same paddings.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compareComputed, runOn, seededValues, torchBackendOrSkip } from "./torch-test-backend";

type Pad = "same" | "valid" | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: Pad;
  dilation?: number;
}

const convCases: ConvCase[] = [
  { input: [2, 9, 9, 3], filter: [3, 3, 3, 4], stride: 1, pad: "same" },
  { input: [2, 9, 9, 3], filter: [3, 3, 3, 4], stride: 2, pad: "same" },
  { input: [2, 8, 8, 3], filter: [3, 3, 3, 4], stride: 2, pad: "same" },
  { input: [2, 8, 8, 4], filter: [1, 1, 4, 6], stride: 2, pad: "valid" },
  { input: [2, 8, 8, 4], filter: [1, 1, 4, 6], stride: 1, pad: "valid" },
  { input: [1, 16, 16, 3], filter: [7, 7, 3, 5], stride: 2, pad: [[0, 0], [3, 3], [3, 3], [0, 0]] },
  { input: [2, 8, 8, 3], filter: [3, 3, 3, 4], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { input: [2, 8, 8, 3], filter: [3, 3, 3, 4], stride: 1, pad: [[0, 0], [0, 2], [1, 0], [0, 0]] },
  { input: [2, 7, 7, 3], filter: [3, 3, 3, 2], stride: 1, pad: 1 },
  { input: [1, 10, 10, 2], filter: [3, 3, 2, 3], stride: 1, pad: "same", dilation: 2 },
  // Batch 1 and small: cases aten::convolution would send to its im2col + BLAS path; the kernel sends
  // them to oneDNN (mkldnn_convolution), which must give the same numbers.
  { input: [1, 8, 8, 16], filter: [3, 3, 16, 8], stride: 1, pad: 1 },
  { input: [1, 4, 4, 32], filter: [1, 1, 32, 8], stride: 1, pad: "valid" },
];

function weightedLoss(output: tf.Tensor, seed: number): tf.Scalar {
  return tf.sum(tf.mul(output, tf.tensor(seededValues(output.size, seed), output.shape)));
}

test("Conv2D and its backprops match the cpu backend", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  for (const [index, convCase] of convCases.entries()) {
    const label = `input ${convCase.input} filter ${convCase.filter} stride ${convCase.stride} pad ${JSON.stringify(convCase.pad)} dilation ${convCase.dilation ?? 1}`;
    await t.test(label, async () => {
      const compute = (x: tf.Tensor, filter: tf.Tensor): tf.Tensor[] => {
        const conv = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, convCase.stride, convCase.pad, "NHWC", convCase.dilation ?? 1);
        const output = conv(x, filter);
        // TF.js has gradients only for dilation 1.
        if ((convCase.dilation ?? 1) !== 1) return [output];
        const gradients = tf.grads((a: tf.Tensor, b: tf.Tensor) => weightedLoss(conv(a, b), 500 + index))([x, filter]);
        return [output, ...gradients];
      };
      const specs = [{ shape: convCase.input }, { shape: convCase.filter }];
      const expected = await runOn("cpu", specs, 10 + index, compute);
      const actual = await runOn("torch", specs, 10 + index, compute);
      const error = compareComputed(actual, expected, label);
      assert.ok(error < 2e-5, `${label}: max relative error ${error}`);
    });
  }
});

test("FusedConv2D (bias + relu) matches the cpu backend, with gradients", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  const compute = (x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor): tf.Tensor[] => {
    const conv = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Tensor4D =>
      tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: "same", bias: c, activation: "relu" });
    return [conv(x, filter, bias), ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => weightedLoss(conv(a, b, c), 900))([x, filter, bias])];
  };
  const specs = [{ shape: [2, 8, 8, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }];
  const error = compareComputed(await runOn("torch", specs, 3, compute), await runOn("cpu", specs, 3, compute), "FusedConv2D");
  assert.ok(error < 2e-5, `FusedConv2D: max relative error ${error}`);
});

test("MaxPool/AvgPool and their gradients match the cpu backend", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  const poolCases: Array<{ kind: "max" | "avg"; size: number; stride: number; pad: "same" | "valid" | number; input: number[] }> = [
    { kind: "max", size: 3, stride: 2, pad: "same", input: [2, 9, 9, 3] },
    { kind: "max", size: 3, stride: 2, pad: "same", input: [2, 8, 8, 3] },
    { kind: "max", size: 3, stride: 2, pad: 1, input: [2, 8, 8, 3] },
    { kind: "max", size: 2, stride: 2, pad: "valid", input: [2, 8, 8, 3] },
    { kind: "avg", size: 2, stride: 2, pad: "valid", input: [2, 8, 8, 3] },
    { kind: "avg", size: 3, stride: 2, pad: "same", input: [2, 8, 8, 3] },
  ];
  for (const [index, poolCase] of poolCases.entries()) {
    const label = `${poolCase.kind}Pool ${poolCase.size}/${poolCase.stride} pad ${poolCase.pad} on ${poolCase.input}`;
    await t.test(label, async () => {
      const pool = (x: tf.Tensor): tf.Tensor4D =>
        poolCase.kind === "max" ? tf.maxPool(x as tf.Tensor4D, poolCase.size, poolCase.stride, poolCase.pad) : tf.avgPool(x as tf.Tensor4D, poolCase.size, poolCase.stride, poolCase.pad);
      const compute = (x: tf.Tensor): tf.Tensor[] => [pool(x), ...tf.grads((a: tf.Tensor) => weightedLoss(pool(a), 300 + index))([x])];
      const specs = [{ shape: poolCase.input }];
      const error = compareComputed(await runOn("torch", specs, 40 + index, compute), await runOn("cpu", specs, 40 + index, compute), label);
      assert.ok(error < 1e-5, `${label}: max relative error ${error}`);
    });
  }
});

/**
 * TF.js's cpu AvgPoolGrad divides by the full window even where its forward pass (correctly) left the
 * padding out of the count, so its gradient is not the gradient of its own forward. Backend torch gives
 * the true gradient; the reference here is written out by hand.
 */
test("AvgPool gradient with padding is the true gradient of the padding-excluding average", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  const shape: [number, number, number, number] = [1, 5, 6, 2];
  const info = tf.backend_util.computePool2DInfo(shape, 3, 1, 1, "same");
  const weights = seededValues(info.outHeight * info.outWidth * 2, 31);
  const x = tf.tensor(seededValues(5 * 6 * 2, 32), shape);
  const [grad] = tf.grads((input: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(input as tf.Tensor4D, 3, 1, "same"), tf.tensor(weights, [1, info.outHeight, info.outWidth, 2]))))([x]);
  const expected = new Float64Array(5 * 6 * 2);
  for (let outRow = 0; outRow < info.outHeight; outRow++) {
    for (let outColumn = 0; outColumn < info.outWidth; outColumn++) {
      const rows = [outRow - info.padInfo.top, outRow - info.padInfo.top + 3].map((r) => Math.min(Math.max(r, 0), 5));
      const columns = [outColumn - info.padInfo.left, outColumn - info.padInfo.left + 3].map((c) => Math.min(Math.max(c, 0), 6));
      const count = (rows[1] - rows[0]) * (columns[1] - columns[0]);
      for (let channel = 0; channel < 2; channel++) {
        const share = weights[(outRow * info.outWidth + outColumn) * 2 + channel] / count;
        for (let row = rows[0]; row < rows[1]; row++) for (let column = columns[0]; column < columns[1]; column++) expected[(row * 6 + column) * 2 + channel] += share;
      }
    }
  }
  const actual = grad.dataSync();
  expected.forEach((value, index) => assert.ok(Math.abs(actual[index] - value) < 1e-5, `element ${index}: ${actual[index]} vs ${value}`));
});
