/**
 * Elementwise kernels. ATen broadcasts like TF.js (numpy rules), so binary kernels map one to one; the
 * output dtype is TF.js's (inputs already upcast by the op layer), which ATen's promotion reproduces
 * except where noted.
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { atenScalarType, TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";
import { input, torchKernel } from "./torch-kernel";

function binaryShape(a: tf.TensorInfo, b: tf.TensorInfo): number[] {
  return tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
}

type BinaryNative = (backend: TorchBackend, a: TensorHandle, b: TensorHandle) => TensorHandle;

function binaryKernel(kernelName: string, native: BinaryNative, outputDtype?: tf.DataType): tf.KernelConfig {
  return torchKernel(kernelName, (inputs, backend) => {
    const a = input(inputs, "a", kernelName);
    const b = input(inputs, "b", kernelName);
    const handle = native(backend, backend.handleOf(a, kernelName), backend.handleOf(b, kernelName));
    return backend.output(handle, binaryShape(a, b), outputDtype ?? a.dtype);
  });
}

function simpleBinary(kernelName: string, name: string, overload: string, outputDtype?: tf.DataType): tf.KernelConfig {
  const op = aten(name, overload);
  return binaryKernel(kernelName, (_backend, a, b) => op.tensor(a, b), outputDtype);
}

type UnaryNative = (x: TensorHandle, backend: TorchBackend, attrs: tf.NamedAttrMap) => TensorHandle;

function unaryKernel(kernelName: string, native: UnaryNative, outputDtype?: tf.DataType): tf.KernelConfig {
  return torchKernel(kernelName, (inputs, backend, attrs) => {
    const x = input(inputs, "x", kernelName);
    return backend.output(native(backend.handleOf(x, kernelName), backend, attrs), x.shape, outputDtype ?? x.dtype);
  });
}

function simpleUnary(kernelName: string, name: string, overload = "", outputDtype?: tf.DataType): tf.KernelConfig {
  const op = aten(name, overload);
  return unaryKernel(kernelName, (x) => op.tensor(x), outputDtype);
}

const castOp = aten("to", "dtype");
const greaterScalar = aten("gt", "Scalar");
const whereBoth = aten("where", "Scalar");
const subTensor = aten("sub", "Tensor");
const isnan = aten("isnan");
const where = aten("where", "self");
const fullLike = aten("full_like");

export function castHandle(handle: TensorHandle, dtype: tf.DataType): TensorHandle {
  const scalarType = dtype === "float32" ? atenScalarType.float32 : dtype === "int32" ? atenScalarType.int32 : atenScalarType.bool;
  return castOp.tensor(handle, scalarType);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dimension, index) => dimension === b[index]);
}

export const elementwiseKernels: tf.KernelConfig[] = [
  // Adding a known-zero tensor (a gradient that is exactly zero) returns the other operand unchanged.
  torchKernel("Add", (inputs, backend) => {
    const a = input(inputs, "a", "Add");
    const b = input(inputs, "b", "Add");
    const shape = binaryShape(a, b);
    for (const [zero, other] of [[a, b], [b, a]]) {
      if (backend.isZeros(zero) && sameShape(other.shape, shape)) {
        return backend.setOrigin(backend.output(aten("alias").tensor(backend.handleOf(other)), shape, a.dtype), backend.originOf(other));
      }
    }
    return backend.output(aten("add", "Tensor").tensor(backend.handleOf(a), backend.handleOf(b)), shape, a.dtype);
  }),
  torchKernel("Sub", (inputs, backend) => {
    const a = input(inputs, "a", "Sub");
    const b = input(inputs, "b", "Sub");
    const shape = binaryShape(a, b);
    const output = backend.output(subTensor.tensor(backend.handleOf(a), backend.handleOf(b)), shape, a.dtype);
    // x - mean(x) as tf.moments computes it.
    const meanOrigin = backend.originOf(b);
    if (meanOrigin?.kind === "batchMean" && meanOrigin.source === backend.valueRoot(a) && sameShape(a.shape, shape)) {
      backend.setOrigin(output, { kind: "centered", source: meanOrigin.source });
    }
    return output;
  }),
  simpleBinary("Multiply", "mul", "Tensor"),
  torchKernel("RealDiv", (inputs, backend) => {
    const a = input(inputs, "a", "RealDiv");
    const b = input(inputs, "b", "RealDiv");
    let handle = aten("div", "Tensor").tensor(backend.handleOf(a), backend.handleOf(b));
    // TF.js stores an int32 RealDiv's quotient into an Int32Array, which truncates.
    if (a.dtype === "int32") {
      const truncated = aten("trunc").tensor(handle);
      backend.free(handle);
      handle = castHandle(truncated, "int32");
      backend.free(truncated);
    }
    return backend.output(handle, binaryShape(a, b), a.dtype);
  }),
  // TF.js's FloorDiv always yields int32, even for float inputs.
  binaryKernel("FloorDiv", (backend, a, b) => {
    const quotient = aten("div", "Tensor_mode").tensor(a, b, "floor");
    const asInt = castHandle(quotient, "int32");
    backend.free(quotient);
    return asInt;
  }, "int32"),
  simpleBinary("Maximum", "maximum", ""),
  simpleBinary("Minimum", "minimum", ""),
  simpleBinary("Mod", "remainder", "Tensor"),
  simpleBinary("Pow", "pow", "Tensor_Tensor"),
  simpleBinary("Atan2", "atan2", ""),
  binaryKernel("SquaredDifference", (backend, a, b) => {
    // Squared in place: the difference is this kernel's own temporary, so no second buffer is needed.
    const difference = subTensor.tensor(a, b);
    const squared = aten("mul_", "Tensor").tensor(difference, difference);
    backend.free(difference);
    return squared;
  }),
  simpleBinary("Equal", "eq", "Tensor", "bool"),
  simpleBinary("NotEqual", "ne", "Tensor", "bool"),
  simpleBinary("Greater", "gt", "Tensor", "bool"),
  simpleBinary("GreaterEqual", "ge", "Tensor", "bool"),
  simpleBinary("Less", "lt", "Tensor", "bool"),
  simpleBinary("LessEqual", "le", "Tensor", "bool"),
  simpleBinary("LogicalAnd", "logical_and", "", "bool"),
  simpleBinary("LogicalOr", "logical_or", "", "bool"),
  simpleUnary("LogicalNot", "logical_not", "", "bool"),

  simpleUnary("Exp", "exp"),
  simpleUnary("Expm1", "expm1"),
  simpleUnary("Log", "log"),
  simpleUnary("Log1p", "log1p"),
  simpleUnary("Sqrt", "sqrt"),
  simpleUnary("Rsqrt", "rsqrt"),

  simpleUnary("Abs", "abs"),
  simpleUnary("Relu", "relu"),
  simpleUnary("Sigmoid", "sigmoid"),
  simpleUnary("Tanh", "tanh"),
  simpleUnary("Sign", "sign"),
  simpleUnary("Floor", "floor"),
  simpleUnary("Ceil", "ceil"),
  simpleUnary("Round", "round"),
  simpleUnary("Reciprocal", "reciprocal"),
  simpleUnary("Sin", "sin"),
  simpleUnary("Cos", "cos"),
  simpleUnary("Erf", "erf"),
  simpleUnary("Softplus", "softplus"),
  simpleUnary("IsNan", "isnan", "", "bool"),
  simpleUnary("IsInf", "isinf", "", "bool"),
  unaryKernel("Relu6", (x) => aten("hardtanh").tensor(x, 0, 6)),
  unaryKernel("Elu", (x) => aten("elu").tensor(x)),
  unaryKernel("LeakyRelu", (x, _backend, attrs) => aten("leaky_relu").tensor(x, (attrs as unknown as tf.LeakyReluAttrs).alpha)),
  unaryKernel("ClipByValue", (x, _backend, attrs) => {
    const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
    return aten("clamp").tensor(x, clipValueMin, clipValueMax);
  }),
  // Step(x) = x > 0 ? 1 : alpha, NaN stays NaN (it is the ReLU gradient mask in TF.js).
  unaryKernel("Step", (x, backend, attrs) => {
    const alpha = (attrs as unknown as { alpha?: number }).alpha ?? 0;
    const positive = greaterScalar.tensor(x, 0);
    const stepped = whereBoth.tensor(positive, 1.0, alpha);
    const nan = isnan.tensor(x);
    const result = where.tensor(nan, x, stepped);
    backend.free(positive, stepped, nan);
    return result;
  }),
  torchKernel("Cast", (inputs, backend, attrs: tf.CastAttrs) => {
    const x = input(inputs, "x", "Cast");
    if (x.dtype === "string" || attrs.dtype === "string" || attrs.dtype === "complex64") throw new Error(`torch backend: Cast from ${x.dtype} to ${attrs.dtype} is not supported`);
    const output = backend.output(castHandle(backend.handleOf(x), attrs.dtype), x.shape, attrs.dtype);
    if (backend.isZeros(x)) return backend.setOrigin(output, { kind: "zeros" });
    return attrs.dtype === x.dtype ? backend.setOrigin(output, { kind: "alias", source: backend.valueRoot(x) }) : output;
  }),
  torchKernel("Neg", (inputs, backend) => {
    const x = input(inputs, "x", "Neg");
    if (backend.isZeros(x)) return backend.zeros(x.shape, x.dtype);
    return backend.output(aten("neg").tensor(backend.handleOf(x)), x.shape, x.dtype);
  }),
  torchKernel("Square", (inputs, backend) => {
    const x = input(inputs, "x", "Square");
    if (backend.isZeros(x)) return backend.zeros(x.shape, x.dtype);
    const output = backend.output(aten("square").tensor(backend.handleOf(x)), x.shape, x.dtype);
    const origin = backend.originOf(x);
    return origin?.kind === "centered" ? backend.setOrigin(output, { kind: "centeredSquare", source: origin.source }) : output;
  }),
  torchKernel("Select", (inputs, backend) => {
    const condition = input(inputs, "condition", "Select");
    const t = input(inputs, "t", "Select");
    const e = input(inputs, "e", "Select");
    let conditionHandle = backend.handleOf(condition);
    // TF.js lets a 1-D condition pick whole rows of higher-rank t/e.
    let reshaped: TensorHandle | undefined;
    if (condition.shape.length === 1 && t.shape.length > 1) {
      reshaped = aten("reshape").tensor(conditionHandle, [condition.shape[0], ...new Array<number>(t.shape.length - 1).fill(1)]);
      conditionHandle = reshaped;
    }
    const result = where.tensor(conditionHandle, backend.handleOf(t), backend.handleOf(e));
    if (reshaped !== undefined) backend.free(reshaped);
    return backend.output(result, tf.backend_util.assertAndGetBroadcastShape(t.shape, e.shape), t.dtype);
  }),
  torchKernel("ZerosLike", (inputs, backend) => {
    const x = input(inputs, "x", "ZerosLike");
    return backend.zeros(x.shape, x.dtype);
  }),
  torchKernel("OnesLike", (inputs, backend) => {
    const x = input(inputs, "x", "OnesLike");
    return backend.output(fullLike.tensor(backend.handleOf(x), 1), x.shape, x.dtype);
  }),
  // TF.js clones tensors it saves for the backward pass through Identity: what is known about the values
  // must survive that.
  torchKernel("Identity", (inputs, backend) => {
    const x = input(inputs, "x", "Identity");
    const output = backend.output(aten("alias").tensor(backend.handleOf(x)), x.shape, x.dtype);
    return backend.setOrigin(output, backend.originOf(x) ?? { kind: "alias", source: backend.valueRoot(x) });
  }),
  torchKernel("AddN", (inputs, backend) => {
    const tensors = Array.isArray(inputs) ? (inputs as tf.TensorInfo[]) : Object.values(inputs).filter((info): info is tf.TensorInfo => info !== undefined);
    let sum = aten("alias").tensor(backend.handleOf(tensors[0]));
    for (const next of tensors.slice(1)) {
      const added = aten("add", "Tensor").tensor(sum, backend.handleOf(next));
      backend.free(sum);
      sum = added;
    }
    return backend.output(sum, tensors[0].shape, tensors[0].dtype);
  }),
];
