/**
 * The filter gradient of Conv2D for the wasm backend, which tfjs-backend-wasm 4.22 does not ship.
 *
 * Why im2col + matmul: the obvious shortcut (wasm's Conv3DBackpropFilterV2 with depth 1) gives wrong
 * gradients for stride-2 convs larger than 1x1 in tfjs 4.22. Gathering every filter tap's input window
 * with a strided slice and contracting it against dy with a matmul uses only kernels the wasm backend
 * does well (slice, XNNPACK matmul), and is exact up to float summation order.
 */
import * as tf from "@tensorflow/tfjs";

export const CONV2D_BACKPROP_FILTER = "Conv2DBackpropFilter";

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/**
 * Computes dW[kh, kw, ci, co] = sum over (n, oh, ow) of xPadded[n, oh*s + kh*d, ow*s + kw*d, ci] * dy[n, oh, ow, co].
 * Works on whatever backend is active; dilations are 1 here because TF.js's conv2d gradient only
 * asks for this kernel with unit dilation (it rejects dilated training convs itself).
 */
export function conv2dBackpropFilterByIm2col(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: BackpropFilterAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const channelsLast = attrs.dataFormat !== "NCHW";
    const xNhwc = channelsLast ? x : tf.transpose(x, [0, 2, 3, 1]);
    const dyNhwc = channelsLast ? dy : tf.transpose(dy, [0, 2, 3, 1]);
    const [filterHeight, filterWidth, inChannels, outChannels] = attrs.filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      xNhwc.shape,
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      "channelsLast",
    );
    const [batch, inHeight, inWidth] = xNhwc.shape;
    const { outHeight, outWidth, strideHeight, strideWidth } = info;
    // Pad enough on the far side that every tap's strided window stays in range; extra rows are never read.
    const neededHeight = (outHeight - 1) * strideHeight + filterHeight;
    const neededWidth = (outWidth - 1) * strideWidth + filterWidth;
    const padBottom = Math.max(0, neededHeight - info.padInfo.top - inHeight);
    const padRight = Math.max(0, neededWidth - info.padInfo.left - inWidth);
    const padded = tf.pad(xNhwc, [
      [0, 0],
      [info.padInfo.top, padBottom],
      [info.padInfo.left, padRight],
      [0, 0],
    ]);
    const rows = batch * outHeight * outWidth;
    // dy transposed once to [outChannels, rows]: wasm's matmul with transposeA is ~10x slower than a plain
    // one, and dy is the smaller operand. One matmul per tap avoids materialising the whole im2col matrix.
    const gradientsTransposed = tf.transpose(tf.reshape(dyNhwc, [rows, outChannels]));
    const perTap: tf.Tensor2D[] = [];
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        perTap.push(
          tf.tidy(() => {
            const begin = [0, kh, kw, 0];
            const end = [batch, kh + (outHeight - 1) * strideHeight + 1, kw + (outWidth - 1) * strideWidth + 1, inChannels];
            const window = tf.stridedSlice(padded, begin, end, [1, strideHeight, strideWidth, 1]);
            return tf.matMul(gradientsTransposed, tf.reshape(window, [rows, inChannels])) as tf.Tensor2D;
          }),
        );
      }
    }
    // [taps, outChannels, inChannels] -> [taps, inChannels, outChannels], which reshapes to HWIO.
    const filterGradient = tf.transpose(tf.stack(perTap), [0, 2, 1]);
    return tf.reshape(filterGradient, attrs.filterShape);
  });
}

/** Registers the kernel for the wasm backend once; later calls are no-ops. */
export function registerWasmConv2dBackpropFilter(): void {
  if (tf.getKernel(CONV2D_BACKPROP_FILTER, "wasm") !== undefined) return;
  tf.registerKernel({
    kernelName: CONV2D_BACKPROP_FILTER,
    backendName: "wasm",
    // Returning a Tensor makes the engine adopt it as the kernel's output (no copy); ops run inside a
    // kernel are not taped, so this does not disturb gradient recording.
    kernelFunc: ({ inputs, attrs }) =>
      conv2dBackpropFilterByIm2col(
        inputs.x as tf.Tensor4D,
        inputs.dy as tf.Tensor4D,
        attrs as unknown as BackpropFilterAttrs,
      ),
  });
}
