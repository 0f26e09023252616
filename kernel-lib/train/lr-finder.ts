/**
 * A learning-rate range test (Smith 2015; fastai's `lr_find`): train for up to `numIter` steps while the
 * lr grows exponentially from `startLr` to `endLr`, record the smoothed loss, stop once it explodes, then
 * put the model, optimizer and loader generator back exactly as they were. Plot `lrs` against `losses`
 * (log x) and pick an lr where the loss still falls steeply; `suggestedLr` is that steepest point.
 */
import * as tf from "@tensorflow/tfjs";
import type { CheckpointableGenerator } from "./checkpoint";
import type { BatchSource } from "./evaluate";
import type { LossFunction } from "./cross-entropy";
import type { FitOptimizer } from "./fit";
import type { OptimizerStateDict, ParameterState } from "./optimizer";
import { stateDictEntries, type TrainableModule } from "./trainable-module";
import { trainStep } from "./train-step";

export interface LrFinderOptions {
  startLr?: number;
  endLr?: number;
  numIter?: number;
  /** Weight of the previous value in the exponential moving average of the loss. */
  smoothing?: number;
  /** Stop when the smoothed loss exceeds this multiple of the best one. */
  divergeFactor?: number;
  loss?: LossFunction;
}

export interface LrFinderResult {
  /** The lr of each step (first parameter group; other groups keep their ratio to it). */
  lrs: number[];
  /** Bias-corrected smoothed loss after each step. */
  losses: number[];
  rawLosses: number[];
  /** Where the smoothed loss falls fastest against log(lr), before its minimum. */
  suggestedLr: number;
  /** The lr at the lowest smoothed loss, divided by 10 (fastai's older rule of thumb). */
  minimumLrOver10: number;
}

export async function lrFind(model: TrainableModule, loader: BatchSource, optimizer: FitOptimizer, options: LrFinderOptions = {}): Promise<LrFinderResult> {
  const startLr = options.startLr ?? 1e-7;
  const endLr = options.endLr ?? 10;
  const numIter = options.numIter ?? 100;
  const smoothing = options.smoothing ?? 0.98;
  const divergeFactor = options.divergeFactor ?? 4;
  if (!(startLr > 0 && endLr > startLr)) throw new Error(`lrFind: need 0 < startLr < endLr, got ${startLr} and ${endLr}`);
  if (!(Number.isInteger(numIter) && numIter >= 2)) throw new Error(`lrFind: numIter must be an integer >= 2, got ${numIter}`);

  const savedModel = stateDictEntries(model.stateDict()).map(([key, tensor]) => [key, tf.clone(tensor)] as [string, tf.Tensor]);
  const savedOptimizer = cloneOptimizerState(optimizer.stateDict());
  const savedLrs = optimizer.paramGroups.map((group) => group.lr);
  const ratios = savedLrs.map((lr) => (savedLrs[0] > 0 ? lr / savedLrs[0] : 1));
  const generator = (loader as unknown as { generator?: CheckpointableGenerator }).generator;
  const savedGenerator = typeof generator?.getState === "function" ? generator.getState() : undefined;

  const lrs: number[] = [];
  const losses: number[] = [];
  const rawLosses: number[] = [];
  let average = 0;
  let best = Infinity;
  try {
    model.train();
    search: while (true) {
      let yielded = false;
      for await (const batch of loader) {
        yielded = true;
        try {
          const lr = startLr * (endLr / startLr) ** (lrs.length / (numIter - 1));
          optimizer.paramGroups.forEach((group, index) => {
            group.lr = lr * ratios[index];
          });
          const { loss } = trainStep(model, optimizer, batch[0], batch[1], { loss: options.loss, step: lrs.length + 1 });
          average = smoothing * average + (1 - smoothing) * loss;
          const smoothed = average / (1 - smoothing ** (lrs.length + 1));
          lrs.push(lr);
          rawLosses.push(loss);
          losses.push(smoothed);
          best = Math.min(best, smoothed);
          if (lrs.length >= numIter || smoothed > divergeFactor * best) break search;
        } catch (error) {
          // A NaN/Inf loss is the clearest sign of divergence: the search ends there.
          if (lrs.length > 0 && /the loss is (NaN|-?Infinity)/.test((error as Error).message)) break search;
          throw error;
        } finally {
          tf.dispose(batch);
        }
      }
      if (!yielded) throw new Error("lrFind: the loader yielded no batches; check the dataset is not empty");
    }
  } finally {
    model.loadStateDict(Object.fromEntries(savedModel), { strict: true });
    tf.dispose(savedModel.map(([, tensor]) => tensor));
    optimizer.loadStateDict(savedOptimizer);
    disposeOptimizerState(savedOptimizer);
    optimizer.paramGroups.forEach((group, index) => {
      group.lr = savedLrs[index];
    });
    if (generator && savedGenerator) generator.setState(savedGenerator);
  }
  return { lrs, losses, rawLosses, suggestedLr: steepestDescentLr(lrs, losses), minimumLrOver10: lrs[losses.indexOf(Math.min(...losses))] / 10 };
}

/** The lr where d(loss)/d(log lr) is most negative, looking only before the minimum. */
export function steepestDescentLr(lrs: number[], losses: number[]): number {
  const minimum = losses.indexOf(Math.min(...losses));
  let bestIndex = 0;
  let bestSlope = Infinity;
  for (let i = 1; i <= minimum; i++) {
    const slope = (losses[i] - losses[i - 1]) / (Math.log(lrs[i]) - Math.log(lrs[i - 1]));
    if (slope < bestSlope) {
      bestSlope = slope;
      bestIndex = i;
    }
  }
  return lrs[bestIndex];
}

function cloneOptimizerState(saved: OptimizerStateDict): OptimizerStateDict {
  const state: Record<string, ParameterState> = {};
  for (const [name, entry] of Object.entries(saved.state)) {
    state[name] = Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, typeof value === "number" ? value : tf.clone(value)]));
  }
  return { state, paramGroups: saved.paramGroups.map((group) => ({ ...group })) };
}

function disposeOptimizerState(saved: OptimizerStateDict): void {
  for (const entry of Object.values(saved.state)) for (const value of Object.values(entry)) if (typeof value !== "number") value.dispose();
}
