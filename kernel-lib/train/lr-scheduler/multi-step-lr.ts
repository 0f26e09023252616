/** `torch.optim.lr_scheduler.MultiStepLR`: multiplies the lr by `gamma` at each milestone epoch. */
import type { SchedulableOptimizer } from "../optimizer";
import { LRScheduler } from "./lr-scheduler";

export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    super(optimizer, options.lastEpoch);
    if (options.milestones.some((m) => !Number.isInteger(m) || m < 0)) throw new Error("MultiStepLR: milestones must be non-negative integers");
    this.milestones = [...options.milestones].sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    // A milestone listed twice decays twice, as with PyTorch's Counter.
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma ** hits);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }
}
