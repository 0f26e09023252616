/**
 * The input gradient of Conv2D for the wasm backend, replacing tfjs-backend-wasm 4.22's own kernel, which
 * is a plain scalar loop (~10x slower than the forward conv on a ResNet layer). The gradient of a conv is
 * itself a conv: spread dy out by the stride (zeros in between), pad it, and correlate it with the filter
 * rotated 180° with in/out channels swapped. That runs on wasm's fast XNNPACK Conv2D.
 */
import * as tf from "@tensorflow/tfjs";

export const CONV2D_BACKPROP_INPUT = "Conv2DBackpropInput";

interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape: [number, number, number, number];
}

/** Pads (positive amounts) or crops (negative amounts) the two spatial dims of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  const cropped =
    top < 0 || bottom < 0 || left < 0 || right < 0
      ? tf.slice(x, [0, cropTop, cropLeft, 0], [batch, height - cropTop - Math.max(0, -bottom), width - cropLeft - Math.max(0, -right), channels])
      : x;
  return tf.pad(cropped, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
}

export function conv2dBackpropInputByConv(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: BackpropInputAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const channelsLast = attrs.dataFormat !== "NCHW";
    const [n, d1, d2, d3] = attrs.inputShape;
    const inputShape: [number, number, number, number] = channelsLast ? attrs.inputShape : [n, d2, d3, d1];
    const dyNhwc = channelsLast ? dy : tf.transpose(dy, [0, 2, 3, 1]);
    const [filterHeight, filterWidth, inChannels, outChannels] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
    const { outHeight, outWidth, strideHeight, strideWidth, inHeight, inWidth } = info;
    let spread: tf.Tensor4D = dyNhwc;
    if (strideHeight > 1 || strideWidth > 1) {
      const interleaved = tf.pad(tf.reshape(dyNhwc, [n, outHeight, 1, outWidth, 1, outChannels]), [
        [0, 0],
        [0, 0],
        [0, strideHeight - 1],
        [0, 0],
        [0, strideWidth - 1],
        [0, 0],
      ]);
      const full = tf.reshape(interleaved, [n, outHeight * strideHeight, outWidth * strideWidth, outChannels]);
      spread = tf.slice(full as tf.Tensor4D, [0, 0, 0, 0], [n, (outHeight - 1) * strideHeight + 1, (outWidth - 1) * strideWidth + 1, outChannels]);
    }
    const top = filterHeight - 1 - info.padInfo.top;
    const left = filterWidth - 1 - info.padInfo.left;
    const bottom = inHeight + filterHeight - 1 - top - spread.shape[1];
    const right = inWidth + filterWidth - 1 - left - spread.shape[2];
    const framed = padOrCrop(spread, top, bottom, left, right);
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    void inChannels;
    const dx = tf.conv2d(framed, rotated, 1, "valid");
    return channelsLast ? dx : tf.transpose(dx, [0, 3, 1, 2]);
  });
}

/** Replaces the wasm backend's Conv2DBackpropInput (idempotent). */
export function registerWasmConv2dBackpropInput(): void {
  const existing = tf.getKernel(CONV2D_BACKPROP_INPUT, "wasm");
  if (existing && (existing as { byConv?: boolean }).byConv) return;
  if (existing) tf.unregisterKernel(CONV2D_BACKPROP_INPUT, "wasm");
  const config: tf.KernelConfig & { byConv: boolean } = {
    kernelName: CONV2D_BACKPROP_INPUT,
    backendName: "wasm",
    byConv: true,
    kernelFunc: ({ inputs, attrs }) =>
      conv2dBackpropInputByConv(inputs.dy as tf.Tensor4D, inputs.filter as tf.Tensor4D, attrs as unknown as BackpropInputAttrs),
  };
  tf.registerKernel(config);
}
