/**
 * How much CIFAR-10 training notebook 02 does in each run mode (see env/run-mode.ts), with the full run's
 * knobs read from the environment so the lead's long run needs no edit of the notebook:
 * LAB_CIFAR10_ROOT, LAB_EPOCHS, LAB_BATCH, LAB_MODEL (resnet18 or resnet34), and LAB_TRAIN_LIMIT / LAB_TEST_LIMIT to check the full
 * pipeline quickly on a per-class-balanced part of the data.
 */
import type { RunMode } from "../env/run-mode";

/** The tutorial's recipe: SGD lr 0.1 for batches of 128 (the linear scaling rule adjusts other sizes). */
export const REFERENCE_LR = 0.1;
export const REFERENCE_BATCH = 128;

export const CIFAR10_MODELS = ["resnet18", "resnet34"] as const;
export type Cifar10Model = (typeof CIFAR10_MODELS)[number];

export interface Cifar10Settings {
  model: Cifar10Model;
  /** A CIFAR-10 root that kernel-lib/data's CIFAR10 reads (binary batches or a train/ + test/ image folder). */
  root: string;
  epochs: number;
  batchSize: number;
  /** REFERENCE_LR scaled linearly with batchSize / REFERENCE_BATCH. */
  lr: number;
  /** Balanced subsets (same count per class) instead of the whole split; undefined: all images. */
  trainLimit?: number;
  testLimit?: number;
}

export const DEFAULT_FULL_ROOT = "data/cache/cifar10-jpg";

/** `lr` for a batch size by the linear scaling rule (Goyal et al., 2017): 0.1 at 128, 0.05 at 64. */
export function scaledLearningRate(batchSize: number): number {
  return (REFERENCE_LR * batchSize) / REFERENCE_BATCH;
}

/** A positive integer from `env[name]`, or `fallback` when unset; a clear error naming the variable otherwise. */
export function positiveIntegerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number | undefined): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a positive whole number; set it like ${name}=10, or unset it for the default (${fallback ?? "all"})`);
  }
  return value;
}

/** LAB_MODEL, default resnet18; an error lists the choices. */
export function modelSetting(env: NodeJS.ProcessEnv): Cifar10Model {
  const raw = env.LAB_MODEL?.trim().toLowerCase();
  if (raw === undefined || raw === "") return "resnet18";
  if ((CIFAR10_MODELS as readonly string[]).includes(raw)) return raw as Cifar10Model;
  throw new Error(`LAB_MODEL=${JSON.stringify(env.LAB_MODEL)} is not a model of this notebook; use one of ${CIFAR10_MODELS.join(", ")}`);
}

export function cifar10Settings(mode: RunMode, env: NodeJS.ProcessEnv = process.env): Cifar10Settings {
  const withLr = (settings: Omit<Cifar10Settings, "lr">): Cifar10Settings => ({ ...settings, lr: scaledLearningRate(settings.batchSize) });
  if (mode === "smoke") return withLr({ model: "resnet18", root: "data/cifar10-sample", epochs: 1, batchSize: 10, trainLimit: 20, testLimit: 10 });
  if (mode === "sample") return withLr({ model: "resnet18", root: "data/cifar10-sample", epochs: 8, batchSize: 32 });
  return withLr({
    model: modelSetting(env),
    root: env.LAB_CIFAR10_ROOT?.trim() || DEFAULT_FULL_ROOT,
    epochs: positiveIntegerSetting(env, "LAB_EPOCHS", 30) as number,
    batchSize: positiveIntegerSetting(env, "LAB_BATCH", REFERENCE_BATCH) as number,
    trainLimit: positiveIntegerSetting(env, "LAB_TRAIN_LIMIT", undefined),
    testLimit: positiveIntegerSetting(env, "LAB_TEST_LIMIT", undefined),
  });
}
