/**
 * Lets the first geometric transform of a pipeline run inside the decoder (libvips, on sharp's
 * thread pool) instead of in JavaScript on the full-size image: for a 500x375 photo and
 * RandomResizedCrop(224) that moves most of the per-image work off the main thread.
 */
import type { DecodePlan } from "../decode-image";
import type { Generator } from "../generator";
import type { Image } from "../image";
import { Compose } from "./compose";
import type { Transform, TransformLike } from "./transform";

/** A transform that can describe its effect as a crop + resize given only the image size. */
export interface DecodeFusable {
  /** Draws the transform's random parameters (exactly as `apply` would) and returns the plan. */
  planDecode(height: number, width: number, generator?: Generator): DecodePlan;
}

export function isDecodeFusable(value: unknown): value is DecodeFusable {
  return typeof value === "object" && value !== null && typeof (value as Partial<DecodeFusable>).planDecode === "function";
}

export interface FusedSplit<T> {
  first: DecodeFusable;
  /** What remains to apply after decoding; undefined when the fused step was everything. */
  rest: TransformLike<Image, T> | undefined;
}

/** Splits `Compose([fusable, ...rest])` (or a bare fusable transform); undefined when nothing fuses. */
export function splitFusable<T>(transform: TransformLike<Image, T>): FusedSplit<T> | undefined {
  if (transform instanceof Compose) {
    const [first, ...rest] = transform.transforms;
    if (!isDecodeFusable(first)) return undefined;
    return { first, rest: rest.length > 0 ? (new Compose(rest) as unknown as Transform<Image, T>) : undefined };
  }
  if (isDecodeFusable(transform)) return { first: transform, rest: undefined };
  return undefined;
}
