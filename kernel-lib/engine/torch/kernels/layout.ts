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

/** TF.js filters are [height, width, in, out]; ATen weights are [out, in, height, width]. */
export function hwioAsOihw(handle: TensorHandle): TensorHandle {
  return permute.tensor(handle, [3, 2, 0, 1]);
}

export function oihwAsHwio(handle: TensorHandle): TensorHandle {
  return permute.tensor(handle, [2, 3, 1, 0]);
}
