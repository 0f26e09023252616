/**
 * `torch.optim.lr_scheduler.LinearLR`: scales the lr linearly from `startFactor` to `endFactor` over
 * `totalIters` steps: the usual linear warmup (chain it with SequentialLR).
 */
import type { SchedulableOptimizer } from "../optimizer";
import { LRScheduler } from "./lr-scheduler";

export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(
    optimizer: SchedulableOptimizer,
    options: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, options.lastEpoch);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new Error(`LinearLR: startFactor must be in (0, 1], got ${this.startFactor}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new Error(`LinearLR: endFactor must be in [0, 1], got ${this.endFactor}`);
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch, startFactor, endFactor, totalIters } = this;
    const current = this.currentLrs();
    if (lastEpoch === 0) return current.map((lr) => lr * startFactor);
    if (lastEpoch > totalIters) return current;
    return current.map((lr) => lr * (1 + (endFactor - startFactor) / (totalIters * startFactor + (lastEpoch - 1) * (endFactor - startFactor))));
  }

  protected override closedFormLr(): number[] {
    const progress = Math.min(this.totalIters, this.lastEpoch) / this.totalIters;
    return this.baseLrs.map((base) => base * (this.startFactor + (this.endFactor - this.startFactor) * progress));
  }
}
