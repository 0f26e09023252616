/**
 * Every natively implemented kernel of backend "torch" (and a few that take the cpu fallback) against
 * TF.js's cpu backend on seeded random inputs: forward values, and gradients through tf.grads where the
 * op is differentiable.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compareComputed, InputSpec, runOn, seededValues, torchBackendOrSkip } from "./torch-test-backend";

interface KernelCase {
  name: string;
  inputs: InputSpec[];
  forward: (...inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
  /** Indices of the inputs to differentiate against (float inputs of differentiable ops). */
  gradientOf?: number[];
  tolerance?: number;
}

const f = (...shape: number[]): InputSpec => ({ shape });
const positive = (...shape: number[]): InputSpec => ({ shape, low: 0.5, high: 2 });
const ints = (...shape: number[]): InputSpec => ({ shape, dtype: "int32", low: -3, high: 3 });
const bools = (...shape: number[]): InputSpec => ({ shape, dtype: "bool" });
const wide = (...shape: number[]): InputSpec => ({ shape, low: -8, high: 8 });

const cases: KernelCase[] = [
  { name: "Add (broadcast)", inputs: [f(2, 3, 4), f(4)], forward: (a, b) => tf.add(a, b), gradientOf: [0, 1] },
  { name: "Add int32", inputs: [ints(3, 4), ints(3, 4)], forward: (a, b) => tf.add(a, b) },
  { name: "Sub", inputs: [f(3, 4), f(3, 1)], forward: (a, b) => tf.sub(a, b), gradientOf: [0, 1] },
  { name: "Multiply", inputs: [f(2, 3, 4), f(1, 3, 1)], forward: (a, b) => tf.mul(a, b), gradientOf: [0, 1] },
  { name: "RealDiv", inputs: [f(3, 4), positive(3, 4)], forward: (a, b) => tf.div(a, b), gradientOf: [0, 1] },
  { name: "FloorDiv", inputs: [wide(3, 4), positive(3, 4)], forward: (a, b) => tf.floorDiv(a, b) },
  { name: "Mod", inputs: [wide(3, 4), positive(3, 4)], forward: (a, b) => tf.mod(a, b) },
  { name: "Maximum", inputs: [f(3, 4), f(3, 4)], forward: (a, b) => tf.maximum(a, b), gradientOf: [0, 1] },
  { name: "Minimum", inputs: [f(3, 4), f(3, 4)], forward: (a, b) => tf.minimum(a, b), gradientOf: [0, 1] },
  { name: "Minimum broadcast", inputs: [f(3, 4), f(4)], forward: (a, b) => tf.minimum(a, b) },
  { name: "Pow", inputs: [positive(3, 4), f(3, 4)], forward: (a, b) => tf.pow(a, b), gradientOf: [0, 1] },
  { name: "SquaredDifference", inputs: [f(3, 4), f(3, 4)], forward: (a, b) => tf.squaredDifference(a, b), gradientOf: [0, 1] },
  { name: "Atan2", inputs: [f(3, 4), f(3, 4)], forward: (a, b) => tf.atan2(a, b) },
  { name: "Equal", inputs: [ints(4, 5), ints(4, 5)], forward: (a, b) => tf.equal(a, b) },
  { name: "NotEqual", inputs: [ints(4, 5), ints(5)], forward: (a, b) => tf.notEqual(a, b) },
  { name: "Greater", inputs: [f(4, 5), f(4, 5)], forward: (a, b) => tf.greater(a, b) },
  { name: "GreaterEqual", inputs: [ints(4, 5), ints(4, 5)], forward: (a, b) => tf.greaterEqual(a, b) },
  { name: "Less", inputs: [f(4, 5), f(5)], forward: (a, b) => tf.less(a, b) },
  { name: "LessEqual", inputs: [ints(4, 5), ints(4, 5)], forward: (a, b) => tf.lessEqual(a, b) },
  { name: "LogicalAnd", inputs: [bools(4, 5), bools(4, 5)], forward: (a, b) => tf.logicalAnd(a, b) },
  { name: "LogicalOr", inputs: [bools(4, 5), bools(4, 5)], forward: (a, b) => tf.logicalOr(a, b) },
  { name: "LogicalNot", inputs: [bools(4, 5)], forward: (a) => tf.logicalNot(a) },
  { name: "Neg", inputs: [f(3, 4)], forward: (x) => tf.neg(x), gradientOf: [0] },
  { name: "Exp", inputs: [f(3, 4)], forward: (x) => tf.exp(x), gradientOf: [0] },
  { name: "Expm1", inputs: [f(3, 4)], forward: (x) => tf.expm1(x), gradientOf: [0] },
  { name: "Log", inputs: [positive(3, 4)], forward: (x) => tf.log(x), gradientOf: [0] },
  { name: "Log1p", inputs: [positive(3, 4)], forward: (x) => tf.log1p(x), gradientOf: [0] },
  { name: "Sqrt", inputs: [positive(3, 4)], forward: (x) => tf.sqrt(x), gradientOf: [0] },
  { name: "Rsqrt", inputs: [positive(3, 4)], forward: (x) => tf.rsqrt(x), gradientOf: [0] },
  { name: "Square", inputs: [f(3, 4)], forward: (x) => tf.square(x), gradientOf: [0] },
  { name: "Abs", inputs: [f(3, 4)], forward: (x) => tf.abs(x), gradientOf: [0] },
  { name: "Abs int32", inputs: [ints(3, 4)], forward: (x) => tf.abs(x) },
  { name: "Relu", inputs: [f(3, 4)], forward: (x) => tf.relu(x), gradientOf: [0] },
  { name: "Relu6", inputs: [wide(3, 4)], forward: (x) => tf.relu6(x), gradientOf: [0] },
  { name: "Elu", inputs: [f(3, 4)], forward: (x) => tf.elu(x), gradientOf: [0] },
  { name: "LeakyRelu", inputs: [f(3, 4)], forward: (x) => tf.leakyRelu(x, 0.1), gradientOf: [0] },
  { name: "Sigmoid", inputs: [wide(3, 4)], forward: (x) => tf.sigmoid(x), gradientOf: [0] },
  { name: "Tanh", inputs: [f(3, 4)], forward: (x) => tf.tanh(x), gradientOf: [0] },
  { name: "Softplus", inputs: [wide(3, 4)], forward: (x) => tf.softplus(x), gradientOf: [0] },
  { name: "Sign", inputs: [f(3, 4)], forward: (x) => tf.sign(x) },
  { name: "Floor", inputs: [wide(3, 4)], forward: (x) => tf.floor(x) },
  { name: "Ceil", inputs: [wide(3, 4)], forward: (x) => tf.ceil(x) },
  { name: "Round", inputs: [wide(3, 4)], forward: (x) => tf.round(x) },
  { name: "Reciprocal", inputs: [positive(3, 4)], forward: (x) => tf.reciprocal(x), gradientOf: [0] },
  { name: "Sin", inputs: [f(3, 4)], forward: (x) => tf.sin(x), gradientOf: [0] },
  { name: "Cos", inputs: [f(3, 4)], forward: (x) => tf.cos(x), gradientOf: [0] },
  { name: "Erf", inputs: [f(3, 4)], forward: (x) => tf.erf(x), gradientOf: [0] },
  { name: "IsNan/IsInf", inputs: [f(3, 4)], forward: (x) => { const odd = tf.div(x, tf.sub(x, x)); return [tf.isNaN(odd), tf.isInf(tf.div(x, tf.zerosLike(x)))]; } },
  { name: "ClipByValue", inputs: [f(3, 4)], forward: (x) => tf.clipByValue(x, -0.3, 0.5), gradientOf: [0] },
  { name: "Step", inputs: [f(3, 4)], forward: (x) => tf.step(x, 0.25) },
  { name: "Cast float->int32/bool, int32->float", inputs: [wide(3, 4), ints(3, 4)], forward: (x, i) => [tf.cast(x, "int32"), tf.cast(x, "bool"), tf.cast(i, "float32")] },
  { name: "Select (where)", inputs: [bools(3, 4), f(3, 4), f(3, 4)], forward: (c, a, b) => tf.where(c, a, b) },
  { name: "ZerosLike/OnesLike/Identity", inputs: [f(3, 4), ints(2)], forward: (x, i) => [tf.zerosLike(x), tf.onesLike(i), tf.clone(x)] },
  { name: "AddN", inputs: [f(3, 4), f(3, 4), f(3, 4)], forward: (a, b, c) => tf.addN([a, b, c]), gradientOf: [0, 1, 2] },

  { name: "MatMul", inputs: [f(5, 7), f(7, 3)], forward: (a, b) => tf.matMul(a, b), gradientOf: [0, 1] },
  { name: "MatMul transposed", inputs: [f(7, 5), f(3, 7)], forward: (a, b) => tf.matMul(a, b, true, true), gradientOf: [0, 1] },
  { name: "BatchMatMul", inputs: [f(2, 4, 5), f(2, 5, 3)], forward: (a, b) => tf.matMul(a, b), gradientOf: [0, 1] },
  { name: "BatchMatMul broadcast", inputs: [f(2, 4, 5), f(1, 5, 3)], forward: (a, b) => tf.matMul(a, b) },
  { name: "_FusedMatMul bias+relu", inputs: [f(5, 7), f(7, 3), f(3)], forward: (a, b, bias) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: "relu" }), gradientOf: [0, 1, 2] },
  { name: "Softmax", inputs: [wide(4, 10)], forward: (x) => tf.softmax(x), gradientOf: [0] },
  { name: "LogSoftmax (composite)", inputs: [wide(4, 10)], forward: (x) => tf.logSoftmax(x), gradientOf: [0] },
  { name: "FusedBatchNorm per-channel", inputs: [f(2, 4, 4, 3), f(3), positive(3), f(3), f(3)], forward: (x, m, v, o, s) => tf.batchNorm(x, m, v, o, s, 1e-3), gradientOf: [0, 1, 2, 3, 4] },
  { name: "FusedBatchNorm 2-D no scale", inputs: [f(5, 3), f(3), positive(3), f(3)], forward: (x, m, v, o) => tf.batchNorm(x, m, v, o, undefined, 1e-5) },
  { name: "FusedBatchNorm broadcast params", inputs: [f(2, 4, 4, 3), f(1, 1, 4, 3), positive(1, 1, 4, 3)], forward: (x, m, v) => tf.batchNorm(x, m, v) },

  {
    name: "tf.moments + batchNorm (training statistics)",
    inputs: [f(4, 3, 3, 5), positive(5), f(5)],
    forward: (x, gamma, beta) => { const { mean, variance } = tf.moments(x, [0, 1, 2]); return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3); },
    gradientOf: [0, 1, 2],
  },
  {
    name: "tf.moments + batchNorm, statistics also used elsewhere",
    inputs: [f(6, 4), positive(4), f(4)],
    forward: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x, [0]);
      return [tf.batchNorm(x, mean, variance, beta, gamma, 1e-5), tf.mul(mean, variance)];
    },
    gradientOf: [0, 1, 2],
  },
  { name: "Sum axes [1,2]", inputs: [f(2, 3, 4, 5)], forward: (x) => tf.sum(x, [1, 2]), gradientOf: [0] },
  { name: "Sum all, keepDims", inputs: [f(3, 4)], forward: (x) => tf.sum(x, undefined, true), gradientOf: [0] },
  { name: "Sum int32 / bool", inputs: [ints(3, 4), bools(3, 4)], forward: (i, b) => [tf.sum(i, 1), tf.sum(b)] },
  { name: "Mean", inputs: [f(2, 3, 4)], forward: (x) => tf.mean(x, [0, 2], true), gradientOf: [0] },
  { name: "Max", inputs: [f(2, 3, 4)], forward: (x) => tf.max(x, -1), gradientOf: [0] },
  { name: "Min", inputs: [f(2, 3, 4)], forward: (x) => tf.min(x, [0, 1]), gradientOf: [0] },
  { name: "Prod", inputs: [positive(2, 3, 4)], forward: (x) => tf.prod(x, [0, 2]), gradientOf: [0] },
  { name: "All/Any", inputs: [bools(3, 4, 2)], forward: (x) => [tf.all(x, [1, 2]), tf.any(x, 0, true), tf.all(x)] },
  { name: "ArgMax/ArgMin", inputs: [f(3, 4, 5)], forward: (x) => [tf.argMax(x, 1), tf.argMin(x, -1)] },

  { name: "Reshape", inputs: [f(2, 3, 4)], forward: (x) => tf.reshape(x, [4, -1]), gradientOf: [0] },
  { name: "Transpose", inputs: [f(2, 3, 4)], forward: (x) => tf.transpose(x, [2, 0, 1]), gradientOf: [0] },
  { name: "Transpose then Reshape", inputs: [f(2, 3, 4)], forward: (x) => tf.reshape(tf.transpose(x, [1, 0, 2]), [6, 4]), gradientOf: [0] },
  { name: "Slice", inputs: [f(4, 5, 6)], forward: (x) => tf.slice(x, [1, 0, 2], [2, -1, 3]), gradientOf: [0] },
  { name: "StridedSlice", inputs: [f(6, 7, 4)], forward: (x) => tf.stridedSlice(x, [1, 0, 0], [5, 7, 4], [2, 3, 1], 0, 2) },
  { name: "StridedSlice reversed (fallback)", inputs: [f(6, 4)], forward: (x) => tf.stridedSlice(x, [5, 0], [0, 4], [-2, 1]) },
  { name: "Concat", inputs: [f(2, 3, 4), f(2, 1, 4), f(2, 2, 4)], forward: (a, b, c) => tf.concat([a, b, c], 1), gradientOf: [0, 1, 2] },
  { name: "Pack/Unpack", inputs: [f(3, 4), f(3, 4)], forward: (a, b) => [tf.stack([a, b], 1), ...tf.unstack(a, 1)], gradientOf: [0, 1] },
  { name: "SplitV", inputs: [f(3, 7)], forward: (x) => tf.split(x, [2, 4, 1], 1), gradientOf: [0] },
  { name: "PadV2", inputs: [f(2, 3, 4)], forward: (x) => tf.pad(x, [[0, 1], [2, 0], [1, 1]], 0.5), gradientOf: [0] },
  { name: "Tile (broadcast view and copy)", inputs: [f(1, 3, 1), f(2, 3)], forward: (a, b) => [tf.tile(a, [2, 1, 4]), tf.tile(b, [2, 3])], gradientOf: [0, 1] },
  { name: "Reverse", inputs: [f(2, 3, 4)], forward: (x) => tf.reverse(x, [0, 2]), gradientOf: [0] },
  { name: "GatherV2", inputs: [f(5, 3), { shape: [2, 3], dtype: "int32", low: 0, high: 5 }], forward: (x, i) => tf.gather(x, i, 0), gradientOf: [0] },
  { name: "GatherV2 axis 1", inputs: [f(2, 5, 3), { shape: [4], dtype: "int32", low: 0, high: 5 }], forward: (x, i) => tf.gather(x, i, 1) },
  { name: "OneHot (with out-of-range)", inputs: [{ shape: [6], dtype: "int32", low: -1, high: 5 }], forward: (i) => tf.oneHot(i, 4, 2, -1) },
  { name: "Fill", inputs: [], forward: () => [tf.fill([2, 3], 1.5), tf.fill([4], 7, "int32"), tf.zeros([2, 2], "bool")] },

  { name: "fallback: Cumsum", inputs: [f(3, 5)], forward: (x) => tf.cumsum(x, 1), gradientOf: [0] },
  { name: "fallback: TopK", inputs: [f(3, 8)], forward: (x) => { const { values, indices } = tf.topk(x, 3); return [values, indices]; } },
  { name: "fallback: MirrorPad", inputs: [f(1, 4, 4, 2)], forward: (x) => tf.mirrorPad(x, [[0, 0], [1, 1], [2, 2], [0, 0]], "reflect") },
  { name: "fallback: ResizeBilinear", inputs: [f(1, 4, 4, 2)], forward: (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [7, 6], false, true), gradientOf: [0] },
  { name: "fallback: Range", inputs: [], forward: () => [tf.range(0, 1, 0.1), tf.range(5, 0, -2, "int32")] },
];

function withGradients(kernelCase: KernelCase): (...inputs: tf.Tensor[]) => tf.Tensor[] {
  return (...inputs: tf.Tensor[]) => {
    const forwardOutputs = kernelCase.forward(...inputs);
    const outputs = Array.isArray(forwardOutputs) ? forwardOutputs : [forwardOutputs];
    if (!kernelCase.gradientOf) return outputs;
    const differentiated = kernelCase.gradientOf;
    // A weighted sum makes every output element matter to the gradient with a different weight.
    const loss = (...variables: tf.Tensor[]): tf.Scalar => {
      const all = inputs.map((original, index) => (differentiated.includes(index) ? variables[differentiated.indexOf(index)] : original));
      const result = kernelCase.forward(...all);
      const list = Array.isArray(result) ? result : [result];
      return tf.addN(list.map((output, index) => tf.sum(tf.mul(output, tf.tensor(seededValues(output.size, 7000 + index), output.shape))))) as tf.Scalar;
    };
    const gradients = tf.grads(loss)(differentiated.map((index) => inputs[index]));
    return [...outputs, ...gradients];
  };
}

test("torch kernels match the cpu backend (forward and gradients)", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine (see the message above)");
  let seed = 1;
  for (const kernelCase of cases) {
    seed++;
    await t.test(kernelCase.name, async () => {
      const expected = await runOn("cpu", kernelCase.inputs, seed, withGradients(kernelCase));
      const actual = await runOn("torch", kernelCase.inputs, seed, withGradients(kernelCase));
      const error = compareComputed(actual, expected, kernelCase.name);
      assert.ok(error <= (kernelCase.tolerance ?? 1e-5), `${kernelCase.name}: max relative error ${error}`);
    });
  }
});

test("a kernel that throws on torch gives a clear error, not a wrong answer", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  assert.throws(() => tf.gather(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([5], "int32")), /index|range/i);
  assert.throws(() => tf.tensor([1, 2], [2], "complex64"), /complex64|not supported/);
});

// TF.js's cpu kernel mis-indexes strided slices that also shrink an axis, so the reference is by hand.
test("StridedSlice with shrinkAxisMask equals x[1:5:2, ::3, 0] computed by hand", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  const shape = [6, 7, 4];
  const values = seededValues(6 * 7 * 4, 77);
  const expected: number[] = [];
  for (let i = 1; i < 5; i += 2) for (let j = 0; j < 7; j += 3) expected.push(values[(i * 7 + j) * 4]);
  const sliced = tf.stridedSlice(tf.tensor(values, shape), [1, 0, 0], [5, 7, 4], [2, 3, 1], 0, 2, 0, 0, 4);
  assert.deepEqual(sliced.shape, [2, 3]);
  assert.deepEqual(Array.from(sliced.dataSync()), expected);
});

test("a training BatchNorm's gradient takes the one-pass path on backend torch", async (t) => {
  if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
  await tf.setBackend("torch");
  const x = tf.tensor(seededValues(4 * 6 * 6 * 8, 12), [4, 6, 6, 8]);
  const gamma = tf.ones([8]);
  const beta = tf.zeros([8]);
  const profile = await tf.profile(() => {
    const gradients = tf.grads((input: tf.Tensor) => {
      const { mean, variance } = tf.moments(input, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm(input, mean, variance, beta, gamma, 1e-5), tf.tensor(seededValues(8, 13), [8])));
    })([x]);
    return gradients[0];
  });
  const names = profile.kernels.map((kernel) => kernel.name);
  assert.ok(names.includes("TorchBatchNormGrad"), `kernels run: ${names.join(", ")}`);
  // TF.js's formula would square-gradient the centered input: a full-size Multiply with x's shape.
  const fullSizeMultiplies = profile.kernels.filter((kernel) => kernel.name === "Multiply" && JSON.stringify(kernel.outputShapes[0]) === JSON.stringify(x.shape) && kernel.inputShapes.every((shape) => JSON.stringify(shape) === JSON.stringify(x.shape)));
  assert.equal(fullSizeMultiplies.length, 0, "the variance path was computed although its gradient is known to be zero");
  tf.dispose([x, gamma, beta]);
});
