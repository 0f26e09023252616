/**
 * What a transform is: torchvision transforms are callables; here they are objects with `apply`,
 * or plain functions. Random transforms use the generator passed to `apply` (the DataLoader passes
 * one per sample) and otherwise their own.
 */
import { Generator } from "../generator";

export interface Transform<In, Out> {
  apply(input: In, generator?: Generator): Out;
}

export type TransformLike<In, Out> = Transform<In, Out> | ((input: In, generator?: Generator) => Out);

export function applyTransform<In, Out>(transform: TransformLike<In, Out>, input: In, generator?: Generator): Out {
  return typeof transform === "function" ? transform(input, generator) : transform.apply(input, generator);
}

/**
 * The generator shared by random transforms created without one, like torch's default generator.
 * Seed it with `defaultGenerator.manualSeed(n)` for repeatable runs outside a DataLoader.
 */
export const defaultGenerator = new Generator(0);

export interface RandomTransformOptions {
  /** Used when `apply` gets no generator; the shared `defaultGenerator` when omitted. */
  generator?: Generator;
}

export function pickGenerator(fromApply: Generator | undefined, own: Generator | undefined): Generator {
  return fromApply ?? own ?? defaultGenerator;
}
