/**
 * How a kernel on backend "torch" is declared: a function of (inputs, backend, attrs) that may decline a
 * case it does not cover (returns `runOnCpu`), in which case the cpu backend's kernel computes it.
 */
import * as tf from "@tensorflow/tfjs";
import { TorchBackend } from "../backend";
import { runKernelOnCpu } from "./cpu-fallback";

export type KernelOutput = tf.TensorInfo | tf.TensorInfo[];

/** Returned by a kernel body to hand this particular call to the cpu backend's kernel. */
export const runOnCpu = Symbol("runOnCpu");

export type TorchKernelBody<Attrs> = (inputs: tf.NamedTensorInfoMap, backend: TorchBackend, attrs: Attrs) => KernelOutput | typeof runOnCpu;

export function torchKernel<Attrs = tf.NamedAttrMap>(kernelName: string, body: TorchKernelBody<Attrs>): tf.KernelConfig {
  return {
    kernelName,
    backendName: "torch",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const torchBackend = backend as TorchBackend;
      // String tensors have no native form; whatever a kernel does with them, the cpu kernel does it.
      if (Object.values(inputs).some((info) => info !== undefined && info !== null && info.dtype === "string")) {
        return runKernelOnCpu(kernelName, inputs, torchBackend, attrs ?? {});
      }
      const result = body(inputs, torchBackend, (attrs ?? {}) as unknown as Attrs);
      if (result === runOnCpu) return runKernelOnCpu(kernelName, inputs, torchBackend, attrs ?? {});
      return result;
    },
  };
}

/** A kernel input that must be present (TF.js types every input as optional). */
export function input(inputs: tf.NamedTensorInfoMap, name: string, kernelName: string): tf.TensorInfo {
  const found = inputs[name];
  if (!found) throw new Error(`torch backend: kernel ${kernelName} called without input '${name}'`);
  return found;
}

/** Normalizes an axis attribute (number, list, negative) to sorted non-negative axes. */
export function normalizeAxes(axis: number | number[] | undefined, rank: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, index) => index);
  return tf.util.parseAxisParam(axis, new Array<number>(rank).fill(1)).sort((a, b) => a - b);
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}
