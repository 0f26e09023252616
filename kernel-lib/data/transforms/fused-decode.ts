/**
 * Lets the start of a pipeline run inside the decoder (the JPEG addon or libvips, on libuv's thread
 * pool) instead of in JavaScript on the full-size image: the first geometric transform (a crop +
 * resize given only the image size), and after it a RandomHorizontalFlip and ToTensor (+ Normalize),
 * so that for `Compose([RandomResizedCrop(224), RandomHorizontalFlip(), ToTensor(), Normalize(...)])`
 * the decoder hands back the finished float32 sample. Random draws are made when planning, in the
 * order `apply` would make them, so results do not change.
 */
import type { DecodePlan } from "../decode-image";
import type { Generator } from "../generator";
import type { Image } from "../image";
import { Compose } from "./compose";
import { NormalizedTensor } from "./normalized-tensor";
import { Normalize } from "./normalize";
import { RandomHorizontalFlip } from "./random-horizontal-flip";
import { ToTensor, unitValueTable } from "./to-tensor";
import type { Transform, TransformLike } from "./transform";

/** A transform that can describe its effect as a crop + resize given only the image size. */
export interface DecodeFusable {
  /** Draws the transform's random parameters (exactly as `apply` would) and returns the plan. */
  planDecode(height: number, width: number, generator?: Generator): DecodePlan;
  /** `[height, width]` of every output when it does not depend on the image (RandomResizedCrop, Resize([h, w])). */
  fixedOutputSize?(): readonly [number, number] | undefined;
}

export function isDecodeFusable(value: unknown): value is DecodeFusable {
  return typeof value === "object" && value !== null && typeof (value as Partial<DecodeFusable>).planDecode === "function";
}

export interface FusedSplit<T> {
  first: DecodeFusable;
  /** A RandomHorizontalFlip right after `first`: drawn when planning, mirrored by the decoder. */
  flip?: RandomHorizontalFlip;
  /** ToTensor (+ Normalize) next: the byte -> float32 table the decoder converts with. */
  toFloat?: Float32Array;
  /** What remains to apply after decoding; undefined when the fused steps were everything. */
  rest: TransformLike<Image, T> | undefined;
}

/** Exactly this class, not a subclass whose `apply` may do something else. */
function isExactly<C>(value: unknown, type: { prototype: C }): value is C {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === type.prototype;
}

/** Splits `Compose([fusable, flip?, ToTensor?, Normalize?, ...rest])` (or a bare fusable transform); undefined when nothing fuses. */
export function splitFusable<T>(transform: TransformLike<Image, T>): FusedSplit<T> | undefined {
  if (transform instanceof Compose) {
    const [first, ...rest] = transform.transforms;
    if (!isDecodeFusable(first)) return undefined;
    const split: FusedSplit<T> = { first, rest: undefined };
    if (isExactly(rest[0], RandomHorizontalFlip)) split.flip = rest.shift() as RandomHorizontalFlip;
    if (isExactly(rest[0], ToTensor)) {
      const toTensor = rest.shift() as ToTensor;
      const normalize = rest[0];
      if (isExactly(normalize, Normalize) && normalize.mean.length === 3) {
        rest.shift();
        split.toFloat = new NormalizedTensor(toTensor, normalize).table;
      } else {
        split.toFloat = unitValueTable();
      }
    }
    split.rest = rest.length > 0 ? (new Compose(rest) as unknown as Transform<Image, T>) : undefined;
    return split;
  }
  if (isDecodeFusable(transform)) return { first: transform, rest: undefined };
  return undefined;
}

/** One image's plan: the first transform's crop/resize (its draws), then the flip's draw, then the conversion. */
export function planFusedDecode(split: FusedSplit<unknown>, height: number, width: number, generator?: Generator): DecodePlan {
  const plan: DecodePlan = { ...split.first.planDecode(height, width, generator) };
  if (split.flip) plan.flip = split.flip.draws(generator);
  if (split.toFloat) plan.toFloat = split.toFloat;
  return plan;
}
