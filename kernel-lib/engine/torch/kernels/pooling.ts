/**
 * 2-D max and average pooling and their gradients. TF.js never counts padding in an average and never
 * picks it as a max, like PyTorch with count_include_pad=False and -inf padding. Asymmetric 'same' pads
 * are applied explicitly for max pooling; average pooling with them takes the cpu fallback, since
 * explicit zeros would be counted.
 *
 * AvgPoolGrad here is the true gradient of the padding-excluding average. TF.js's cpu kernel divides by
 * the full window near the borders instead, so the two differ there (test/engine documents the case).
 */
import * as tf from "@tensorflow/tfjs";
import { aten } from "../aten";
import { TensorHandle } from "../native-addon";
import { nchwAsNhwc, nhwcAsNchw } from "./layout";
import { input, runOnCpu, torchKernel } from "./torch-kernel";

type PoolAttrs = tf.MaxPoolAttrs | tf.AvgPoolAttrs;

interface PoolPlan {
  info: tf.backend_util.Conv2DInfo;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  /** [top, bottom, left, right] to pad with -inf before a max pool, when ATen cannot express it. */
  explicit: [number, number, number, number] | undefined;
}

/** undefined when ATen's floor-mode output size would differ from TF.js's (e.g. dimRoundingMode 'ceil'). */
function planPool(xShape: number[], attrs: PoolAttrs): PoolPlan | undefined {
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { top, bottom, left, right } = info.padInfo;
  const kernel: [number, number] = [info.filterHeight, info.filterWidth];
  const stride: [number, number] = [info.strideHeight, info.strideWidth];
  const paddedHeight = info.inHeight + top + bottom;
  const paddedWidth = info.inWidth + left + right;
  if (Math.floor((paddedHeight - kernel[0]) / stride[0]) + 1 !== info.outHeight) return undefined;
  if (Math.floor((paddedWidth - kernel[1]) / stride[1]) + 1 !== info.outWidth) return undefined;
  const symmetric = top === bottom && left === right && top <= kernel[0] / 2 && left <= kernel[1] / 2;
  if (symmetric) return { info, kernel, stride, padding: [top, left], explicit: undefined };
  return { info, kernel, stride, padding: [0, 0], explicit: [top, bottom, left, right] };
}

function padForMax(nchw: TensorHandle, plan: PoolPlan): TensorHandle {
  if (!plan.explicit) return aten("alias").tensor(nchw);
  const [top, bottom, left, right] = plan.explicit;
  return aten("constant_pad_nd").tensor(nchw, [left, right, top, bottom], -Infinity);
}

export const poolingKernels: tf.KernelConfig[] = [
  torchKernel("MaxPool", (inputs, backend, attrs: tf.MaxPoolAttrs) => {
    const x = input(inputs, "x", "MaxPool");
    const plan = planPool(x.shape, attrs);
    if (!plan) return runOnCpu;
    const nchw = nhwcAsNchw(backend.handleOf(x));
    const padded = padForMax(nchw, plan);
    const pooled = aten("max_pool2d").tensor(padded, plan.kernel, plan.stride, plan.padding, [1, 1], false);
    const nhwc = nchwAsNhwc(pooled);
    backend.free(nchw, padded, pooled);
    return backend.output(nhwc, plan.info.outShape, x.dtype);
  }),

  // TF.js hands over no argmax, so the forward pool is recomputed to find it.
  torchKernel("MaxPoolGrad", (inputs, backend, attrs: tf.MaxPoolGradAttrs) => {
    const dy = input(inputs, "dy", "MaxPoolGrad");
    const x = input(inputs, "input", "MaxPoolGrad");
    const plan = planPool(x.shape, attrs);
    if (!plan) return runOnCpu;
    const nchw = nhwcAsNchw(backend.handleOf(x));
    const padded = padForMax(nchw, plan);
    const [pooled, indices] = aten("max_pool2d_with_indices").tensors(padded, plan.kernel, plan.stride, plan.padding, [1, 1], false);
    const dyNchw = nhwcAsNchw(backend.handleOf(dy));
    let grad = aten("max_pool2d_with_indices_backward").tensor(dyNchw, padded, plan.kernel, plan.stride, plan.padding, [1, 1], false, indices);
    if (plan.explicit) {
      const [top, , left] = plan.explicit;
      const rows = aten("narrow").tensor(grad, 2, top, plan.info.inHeight);
      const cropped = aten("narrow").tensor(rows, 3, left, plan.info.inWidth);
      backend.free(rows, grad);
      grad = cropped;
    }
    const nhwc = nchwAsNhwc(grad);
    backend.free(nchw, padded, pooled, indices, dyNchw, grad);
    return backend.output(nhwc, [...x.shape], x.dtype);
  }),

  torchKernel("AvgPool", (inputs, backend, attrs: tf.AvgPoolAttrs) => {
    const x = input(inputs, "x", "AvgPool");
    const plan = planPool(x.shape, attrs);
    if (!plan || plan.explicit) return runOnCpu;
    const nchw = nhwcAsNchw(backend.handleOf(x));
    const pooled = aten("avg_pool2d").tensor(nchw, plan.kernel, plan.stride, plan.padding, false, false, null);
    const nhwc = nchwAsNhwc(pooled);
    backend.free(nchw, pooled);
    return backend.output(nhwc, plan.info.outShape, x.dtype);
  }),

  torchKernel("AvgPoolGrad", (inputs, backend, attrs: tf.AvgPoolGradAttrs) => {
    const dy = input(inputs, "dy", "AvgPoolGrad");
    const x = input(inputs, "input", "AvgPoolGrad");
    const plan = planPool(x.shape, attrs);
    if (!plan || plan.explicit) return runOnCpu;
    const nchw = nhwcAsNchw(backend.handleOf(x));
    const dyNchw = nhwcAsNchw(backend.handleOf(dy));
    const grad = aten("avg_pool2d_backward").tensor(dyNchw, nchw, plan.kernel, plan.stride, plan.padding, false, false, null);
    const nhwc = nchwAsNhwc(grad);
    backend.free(nchw, dyNchw, grad);
    return backend.output(nhwc, [...x.shape], x.dtype);
  }),
];

