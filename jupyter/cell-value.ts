/**
 * The text/plain of a cell's last value: `util.inspect`, as Node's REPL shows it, except for TF.js
 * tensors, whose inspection lists engine bookkeeping (dataId, strides, kept) and no values; for them the
 * tensor's own verbose `toString()` (dtype, rank, shape, values) is what a reader wants, as torch prints.
 */
import * as util from "node:util";

interface TensorLike {
  dtype: string;
  shape: number[];
  dataId: object;
  isDisposed: boolean;
  toString(verbose?: boolean): string;
}

function isTensor(value: unknown): value is TensorLike {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<TensorLike>;
  return typeof candidate.dtype === "string" && Array.isArray(candidate.shape) && typeof candidate.dataId === "object" &&
    typeof candidate.toString === "function";
}

export function describeValue(value: unknown): string {
  if (isTensor(value)) {
    if (value.isDisposed) return `Tensor (disposed) dtype=${value.dtype} shape=[${value.shape.join(", ")}]`;
    return value.toString(true);
  }
  return util.inspect(value);
}
