/**
 * NHWC (TF.js) <-> NCHW (ATen) as zero-copy views. An NHWC-contiguous tensor viewed as NCHW is exactly
 * PyTorch's channels_last layout, so oneDNN convolutions and pools run without layout copies.
 */
import { aten } from "../aten";
import { addon, atenMemoryFormat, TensorHandle } from "../native-addon";

const permute = aten("permute");

export function nhwcAsNchw(handle: TensorHandle): TensorHandle {
  return permute.tensor(handle, [0, 3, 1, 2]);
}

const contiguous = aten("contiguous");

/**
 * NHWC as an NCHW tensor that is channels_last-contiguous: a free view for ordinary NHWC data, a copy
 * for broadcast views (TF.js's Sum gradient hands convolutions expanded, zero-stride tensors, which
 * oneDNN's backward kernels do not accept).
 */
export function nhwcAsChannelsLast(handle: TensorHandle): TensorHandle {
  const view = permute.tensor(handle, [0, 3, 1, 2]);
  const dense = contiguous.tensor(view, atenMemoryFormat.channelsLast);
  addon().dispose(view);
  return dense;
}

export function nchwAsNhwc(handle: TensorHandle): TensorHandle {
  return permute.tensor(handle, [0, 2, 3, 1]);
}


const reshape = aten("reshape");
const strideOf = aten("stride", "int");

/**
 * Whether a [h, w, in, out] filter's memory is ordered [out][h][w][in], oneDNN's channels_last weight
 * layout: then its [out, in, h, w] weight is a free view. Axes of size 1 may have any stride.
 */
export function hwioStoredAsOhwi(handle: TensorHandle, [height, width, inChannels, outChannels]: readonly number[]): boolean {
  const expected = [width * inChannels, inChannels, 1, height * width * inChannels];
  return [height, width, inChannels, outChannels].every((size, axis) => size === 1 || strideOf.call([handle, axis]) === expected[axis]);
}

/** An [out][h][w][in]-ordered filter (see hwioStoredAsOhwi) as its [out, in, h, w] weight view. */
export function ohwiStoredHwioAsOihw(handle: TensorHandle): TensorHandle {
  return permute.tensor(handle, [3, 2, 0, 1]);
}

/** ATen's [out, in, h, w] weight as a TF.js [h, w, in, out] filter view of the same memory. */
export function oihwAsHwio(handle: TensorHandle): TensorHandle {
  return permute.tensor(handle, [2, 3, 1, 0]);
}
const transpose2d = aten("t");

/**
 * A [rows, columns] matrix view copied into its dense transpose. ATen copies a transposed 2-D view with a
 * cache-blocked loop (copy_transpose_valid in Copy.cpp); a 4-D permute of the same data goes through the
 * generic strided copy, several times slower for ResNet's large filters (512x512x3x3: the filter copy
 * took as long as a third of its convolution).
 */
function transposedCopy(handle: TensorHandle, rows: number, columns: number): TensorHandle {
  const matrix = reshape.tensor(handle, [rows, columns]);
  const transposedView = transpose2d.tensor(matrix);
  const dense = contiguous.tensor(transposedView, atenMemoryFormat.contiguous);
  addon().dispose(matrix);
  addon().dispose(transposedView);
  return dense;
}

/**
 * A dense TF.js filter [h, w, in, out] as ATen's [out, in, h, w] weight in channels_last memory
 * ([out][h][w][in]): one 2-D transpose of the (h*w*in) x out matrix.
 */
export function hwioToChannelsLastOihw(handle: TensorHandle, [height, width, inChannels, outChannels]: readonly number[]): TensorHandle {
  const ohwi = transposedCopy(handle, height * width * inChannels, outChannels);
  const shaped = reshape.tensor(ohwi, [outChannels, height, width, inChannels]);
  const oihw = permute.tensor(shaped, [0, 3, 1, 2]);
  addon().dispose(ohwi);
  addon().dispose(shaped);
  return oihw;
}

/** The inverse: ATen's [out, in, h, w] weight (any memory format) as a dense TF.js [h, w, in, out] filter. */
export function oihwToDenseHwio(handle: TensorHandle, [height, width, inChannels, outChannels]: readonly number[]): TensorHandle {
  // [out, h, w, in] is a free view when the weight is channels_last (oneDNN's gradients are); reshape copies otherwise.
  const ohwiView = permute.tensor(handle, [0, 2, 3, 1]);
  const hwio = transposedCopy(ohwiView, outChannels, height * width * inChannels);
  const shaped = reshape.tensor(hwio, [height, width, inChannels, outChannels]);
  addon().dispose(ohwiView);
  addon().dispose(hwio);
  return shaped;
}
