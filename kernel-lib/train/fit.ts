/**
 * `fit(model, { train, val }, options)`: the whole PyTorch training loop in one call — epochs of
 * forward/backward/update with optional gradient clipping and accumulation, an LR scheduler stepped per
 * epoch or per step, validation, live progress, callbacks, checkpoints (latest, best by a metric, and on
 * interrupt) and exact resume. Returns the history: one `EpochRecord` per finished epoch.
 *
 * Memory: every batch and every intermediate is freed inside the loop, so `tf.memory().numTensors` is the
 * same after each epoch. Interrupt (SIGINT: the kernel's stop button, Ctrl-C, or `signal`) stops after
 * the current optimizer step, writes a checkpoint and throws `TrainingInterrupted`; `resume` replays the
 * unfinished epoch's batches from the saved generator states, so the run continues to the same result.
 */
import * as path from "node:path";
import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import type { MetricFunction } from "./accuracy";
import { defaultMode, monitoredValue, type Callback, type EpochRecord, type MonitoredQuantity, type TrainingControl } from "./callbacks";
import { loadCheckpoint, saveCheckpoint, type CheckpointableGenerator, type CheckpointableOptimizer } from "./checkpoint";
import { crossEntropy, type LossFunction } from "./cross-entropy";
import { evaluate, RunningMeans, type BatchSource } from "./evaluate";
import type { Scheduler, SchedulerInterval } from "./lr-scheduler/lr-scheduler";
import type { SchedulableOptimizer } from "./optimizer";
import { applyGradients, computeGradients, type GradientOptimizer } from "./train-step";
import { TrainingProgress, type ProgressSink } from "./training-progress";
import type { TrainableModule } from "./trainable-module";
import type { GeneratorState } from "../data/generator";

export type FitOptimizer = GradientOptimizer & CheckpointableOptimizer & SchedulableOptimizer;

export interface FitLoaders {
  train: BatchSource;
  val?: BatchSource;
}

export interface CheckpointOptions {
  /** The latest state, rewritten after every epoch and on interrupt; what `resume: true` reads. */
  path: string;
  /** Also keep the best epoch's state here, judged by `monitor`. */
  bestPath?: string;
  /** Default "valAccuracy" with a val loader, else "trainLoss". */
  monitor?: MonitoredQuantity;
  mode?: "min" | "max";
}

export interface FitOptions {
  epochs: number;
  optimizer: FitOptimizer;
  scheduler?: Scheduler;
  /** When to call `scheduler.step()`; default the scheduler's own `interval` (OneCycleLR: "step", others: "epoch"). */
  schedulerInterval?: SchedulerInterval;
  /** Default cross-entropy. */
  loss?: LossFunction;
  /** Extra per-batch metrics, reported as train<Name> / val<Name>. */
  metrics?: Record<string, MetricFunction>;
  /** Max global L2 norm of the gradients (clip_grad_norm_). */
  clipGradNorm?: number;
  /** Average gradients over this many batches per optimizer step (default 1). */
  accumulateSteps?: number;
  callbacks?: Callback[];
  /** A path (latest checkpoint) or full options. Without it an interrupt still saves, to out/checkpoints/interrupted-<time>.ckpt. */
  checkpoint?: string | CheckpointOptions;
  /** true: continue from `checkpoint`'s path if it exists; a string: continue from that file. */
  resume?: boolean | string;
  /** Random generators to save and restore; the loaders' own `generator`s are added as "train" and "val". */
  generators?: Record<string, CheckpointableGenerator>;
  /** Show progress (default true). */
  progress?: boolean;
  /** Where terminal progress goes (default stdout). */
  progressSink?: ProgressSink;
  /** Stops like SIGINT does when aborted. */
  signal?: AbortSignal;
}

/** Thrown after an interrupt, once the checkpoint is written. */
export class TrainingInterrupted extends Error {
  constructor(
    readonly checkpointPath: string,
    readonly history: EpochRecord[],
    where: string,
  ) {
    super(`fit: interrupted ${where}; state saved to ${checkpointPath}. Continue with fit(..., { checkpoint: "${checkpointPath}", resume: true })`);
    this.name = "TrainingInterrupted";
  }
}

interface PartialEpoch {
  count: number;
  sums: Record<string, number>;
  trainSeconds: number;
}

interface SavedExtras {
  history: EpochRecord[];
  best?: number;
  partialEpoch?: PartialEpoch;
}

export async function fit(model: TrainableModule, loaders: FitLoaders, options: FitOptions): Promise<EpochRecord[]> {
  const { train, val } = loaders;
  const accumulateSteps = options.accumulateSteps ?? 1;
  validateOptions(train, options, accumulateSteps);
  const lossFunction = options.loss ?? crossEntropy;
  const metrics = options.metrics ?? {};
  const callbacks = options.callbacks ?? [];
  const checkpoint = typeof options.checkpoint === "string" ? { path: options.checkpoint } : options.checkpoint;
  const monitor = checkpoint?.monitor ?? (val ? "valAccuracy" : "trainLoss");
  const mode = checkpoint?.mode ?? defaultMode(monitor);
  const generators = { ...loaderGenerator("train", train), ...(val ? loaderGenerator("val", val) : {}), ...options.generators };
  const trainingState = { model, optimizer: options.optimizer, scheduler: options.scheduler, generators };
  const stepsPerEpoch = Math.ceil(train.length / accumulateSteps);
  const schedulerInterval = options.schedulerInterval ?? options.scheduler?.interval;

  let history: EpochRecord[] = [];
  let best: number | undefined;
  let startEpoch = 0;
  let resumeStep = 0;
  let resumePartial: PartialEpoch | undefined;
  const resumeFrom = typeof options.resume === "string" ? options.resume : options.resume && checkpoint && fs.existsSync(checkpoint.path) ? checkpoint.path : undefined;
  if (options.resume === true && !checkpoint) throw new Error("fit: resume: true needs checkpoint: \"<path>\" to know which file to continue from");
  if (resumeFrom !== undefined) {
    const progress = loadCheckpoint(resumeFrom, trainingState);
    const extras = (progress.extra ?? { history: [] }) as unknown as SavedExtras;
    history = extras.history ?? [];
    best = extras.best;
    startEpoch = progress.epoch;
    resumeStep = progress.stepInEpoch ?? 0;
    resumePartial = extras.partialEpoch;
    if (resumeStep > 0) restoreGenerators(generators, progress.epochStartGenerators, resumeFrom);
  }

  const control: TrainingControl = { stopTraining: false };
  const display = options.progress === false ? undefined : new TrainingProgress(options.epochs, options.progressSink);
  let interruptRequested = false;
  const onInterrupt = (): void => {
    interruptRequested = true;
  };
  process.on("SIGINT", onInterrupt);
  options.signal?.addEventListener("abort", onInterrupt);
  if (options.signal?.aborted) interruptRequested = true;
  try {
    for (const callback of callbacks) await callback.onTrainBegin?.(control);
    for (let epoch = startEpoch; epoch < options.epochs && !control.stopTraining; epoch++) {
      for (const callback of callbacks) await callback.onEpochBegin?.(epoch, control);
      const epochStarted = performance.now();
      const epochStartGenerators = snapshotGenerators(generators);
      const skipSteps = epoch === startEpoch ? resumeStep : 0;
      const totals = new RunningMeans();
      let trainSeconds = 0;
      if (skipSteps > 0 && resumePartial) {
        totals.count = resumePartial.count;
        totals.restoreSums(resumePartial.sums);
        trainSeconds = resumePartial.trainSeconds;
      }
      model.train();
      let batchIndex = 0;
      let step = skipSteps;
      let accumulated: Record<string, tf.Tensor> = {};
      let batchesInStep = 0;
      let lrUsed = options.optimizer.paramGroups[0].lr;
      const imagesAtStart = totals.count;
      let stepTimer = performance.now();
      try {
        for await (const batch of train) {
          try {
            if (batchIndex < skipSteps * accumulateSteps) continue;
            const [images, labels] = batch;
            const result = computeGradients(model, images, labels, { loss: lossFunction, metrics });
            if (!Number.isFinite(result.loss)) {
              tf.dispose(Object.values(result.grads));
              throw new Error(
                `fit: the loss is ${result.loss} at epoch ${epoch + 1}, step ${step + 1} (batch ${batchIndex + 1} of ${train.length}); ` +
                  "training diverged. Lower the learning rate, set clipGradNorm, or check the inputs for NaN",
              );
            }
            accumulated = addGradients(accumulated, result.grads);
            batchesInStep++;
            totals.add(result.batchSize, { loss: result.loss, accuracy: result.accuracy, ...result.metrics });
            const lastBatch = batchIndex + 1 === train.length;
            if (batchesInStep < accumulateSteps && !lastBatch) continue;
            lrUsed = options.optimizer.paramGroups[0].lr;
            const averaged = batchesInStep === 1 ? accumulated : scaleGradients(accumulated, 1 / batchesInStep);
            try {
              applyGradients(options.optimizer, averaged, options.clipGradNorm);
            } finally {
              tf.dispose(Object.values(averaged));
              accumulated = {};
              batchesInStep = 0;
            }
            if (schedulerInterval === "step") options.scheduler?.step();
            const now = performance.now();
            trainSeconds += (now - stepTimer) / 1000;
            stepTimer = now;
            const means = totals.means();
            for (const callback of callbacks) {
              await callback.onBatchEnd?.({ epoch, step, loss: result.loss, accuracy: result.accuracy, lr: lrUsed }, control);
            }
            step++;
            display?.step(epoch, step, stepsPerEpoch, trainSeconds, means.loss, (totals.count - imagesAtStart) / Math.max(trainSeconds, 1e-9));
            if (interruptRequested && step < stepsPerEpoch) {
              await saveInterrupted(epoch, step, epochStartGenerators, totals, trainSeconds);
            }
            stepTimer = performance.now();
          } finally {
            tf.dispose(batch);
            batchIndex++;
          }
        }
      } finally {
        tf.dispose(Object.values(accumulated));
      }
      if (totals.count === 0) throw new Error("fit: the train loader yielded no batches; check the dataset is not empty");
      const trainMeans = totals.means();
      const record: EpochRecord = {
        epoch,
        trainLoss: trainMeans.loss,
        trainAccuracy: trainMeans.accuracy,
        lr: lrUsed,
        seconds: 0,
        imagesPerSecond: (totals.count - (skipSteps > 0 && resumePartial ? resumePartial.count : 0)) / Math.max(trainSeconds - (skipSteps > 0 && resumePartial ? resumePartial.trainSeconds : 0), 1e-9),
        metrics: prefixed("train", trainMeans, ["loss", "accuracy"]),
      };
      if (val) {
        const validation = await evaluate(model, val, { loss: lossFunction, metrics });
        record.valLoss = validation.loss;
        record.valAccuracy = validation.accuracy;
        Object.assign(record.metrics, prefixed("val", validation.metrics, []));
      }
      if (schedulerInterval === "epoch") options.scheduler?.step();
      record.seconds = (performance.now() - epochStarted) / 1000 + (skipSteps > 0 && resumePartial ? resumePartial.trainSeconds : 0);
      history.push(record);
      for (const callback of callbacks) await callback.onEpochEnd?.(record, control);
      if (checkpoint) {
        const value = monitoredValue(record, monitor);
        if (checkpoint.bestPath !== undefined) {
          if (value === undefined) throw new Error(`fit: checkpoint.monitor "${monitor}" is not in the epoch record; use valLoss, valAccuracy, trainLoss, trainAccuracy or a metric name`);
          if (best === undefined || (mode === "min" ? value < best : value > best)) {
            best = value;
            saveCheckpoint(checkpoint.bestPath, trainingState, { epoch: epoch + 1, extra: { history, best } });
          }
        }
        saveCheckpoint(checkpoint.path, trainingState, { epoch: epoch + 1, extra: { history, best } });
      }
      display?.epochEnd({ epoch, values: epochColumns(record) });
      if (interruptRequested && epoch + 1 < options.epochs) {
        const saved = checkpoint?.path ?? defaultInterruptPath();
        if (!checkpoint) saveCheckpoint(saved, trainingState, { epoch: epoch + 1, extra: { history, best } });
        display?.note(`interrupted after epoch ${epoch + 1}; checkpoint ${saved}`);
        throw new TrainingInterrupted(saved, history, `after epoch ${epoch + 1}`);
      }
    }
    if (control.stopReason) display?.note(control.stopReason);
    for (const callback of callbacks) await callback.onTrainEnd?.(history, control);
    return history;
  } finally {
    process.off("SIGINT", onInterrupt);
    options.signal?.removeEventListener("abort", onInterrupt);
  }

  async function saveInterrupted(
    epoch: number,
    step: number,
    epochStartGenerators: Record<string, GeneratorState>,
    totals: RunningMeans,
    trainSeconds: number,
  ): Promise<never> {
    const saved = checkpoint?.path ?? defaultInterruptPath();
    const partialEpoch: PartialEpoch = { count: totals.count, sums: totals.sumsSnapshot(), trainSeconds };
    saveCheckpoint(saved, trainingState, { epoch, stepInEpoch: step, epochStartGenerators, extra: { history, best, partialEpoch } });
    display?.note(`interrupted at epoch ${epoch + 1}, step ${step}/${stepsPerEpoch}; checkpoint ${saved}`);
    throw new TrainingInterrupted(saved, history, `at epoch ${epoch + 1}, step ${step}`);
  }
}

function validateOptions(train: BatchSource, options: FitOptions, accumulateSteps: number): void {
  if (!train || typeof train[Symbol.asyncIterator] !== "function" || !Number.isInteger(train.length)) {
    throw new Error("fit: loaders.train must be a DataLoader (an async iterable of [images, labels] with a length)");
  }
  if (!(Number.isInteger(options.epochs) && options.epochs > 0)) throw new Error(`fit: epochs must be a positive integer, got ${options.epochs}`);
  if (!options.optimizer || typeof options.optimizer.step !== "function") throw new Error("fit: pass optimizer: new SGD(model.namedParameters(), { lr })");
  if (!(Number.isInteger(accumulateSteps) && accumulateSteps > 0)) throw new Error(`fit: accumulateSteps must be a positive integer, got ${accumulateSteps}`);
  if (options.clipGradNorm !== undefined && !(options.clipGradNorm > 0)) throw new Error(`fit: clipGradNorm must be > 0, got ${options.clipGradNorm}`);
}

function loaderGenerator(name: string, loader: BatchSource): Record<string, CheckpointableGenerator> {
  const candidate = (loader as unknown as { generator?: Partial<CheckpointableGenerator> }).generator;
  return candidate && typeof candidate.getState === "function" && typeof candidate.setState === "function"
    ? { [name]: candidate as CheckpointableGenerator }
    : {};
}

function snapshotGenerators(generators: Record<string, CheckpointableGenerator>): Record<string, GeneratorState> {
  return Object.fromEntries(Object.entries(generators).map(([name, generator]) => [name, generator.getState()]));
}

function restoreGenerators(generators: Record<string, CheckpointableGenerator>, states: Record<string, GeneratorState> | undefined, file: string): void {
  for (const [name, generator] of Object.entries(generators)) {
    const state = states?.[name];
    if (state === undefined) throw new Error(`fit: ${file} has no epoch-start state for generator "${name}"; resume with the same loaders and generators`);
    generator.setState(state);
  }
}

function addGradients(sum: Record<string, tf.Tensor>, grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  if (Object.keys(sum).length === 0) return grads;
  const result: Record<string, tf.Tensor> = {};
  for (const [name, grad] of Object.entries(grads)) {
    const previous = sum[name];
    result[name] = previous === undefined ? grad : tf.add(previous, grad);
    if (previous !== undefined) {
      previous.dispose();
      grad.dispose();
    }
  }
  for (const [name, previous] of Object.entries(sum)) if (!(name in grads)) result[name] = previous;
  return result;
}

function scaleGradients(grads: Record<string, tf.Tensor>, factor: number): Record<string, tf.Tensor> {
  const result: Record<string, tf.Tensor> = {};
  for (const [name, grad] of Object.entries(grads)) {
    result[name] = tf.mul(grad, factor);
    grad.dispose();
  }
  return result;
}

function prefixed(prefix: string, values: Record<string, number>, skip: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(values)) {
    if (!skip.includes(name)) out[`${prefix}${name.charAt(0).toUpperCase()}${name.slice(1)}`] = value;
  }
  return out;
}

function epochColumns(record: EpochRecord): Record<string, number | string> {
  const columns: Record<string, number | string> = { train_loss: record.trainLoss, train_acc: record.trainAccuracy };
  if (record.valLoss !== undefined) columns.val_loss = record.valLoss;
  if (record.valAccuracy !== undefined) columns.val_acc = record.valAccuracy;
  for (const [name, value] of Object.entries(record.metrics)) columns[name] = value;
  columns.lr = record.lr;
  columns.time = `${record.seconds.toFixed(1)}s`;
  columns["img/s"] = record.imagesPerSecond.toFixed(1);
  return columns;
}

function defaultInterruptPath(): string {
  return path.join(process.cwd(), "out", "checkpoints", `interrupted-${new Date().toISOString().replace(/[:.]/g, "-")}.ckpt`);
}
