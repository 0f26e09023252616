/**
 * `torch.optim.lr_scheduler.SequentialLR`: runs one scheduler until a milestone, then the next
 * (restarted from epoch 0), e.g. a LinearLR warmup followed by CosineAnnealingLR. Build the child
 * schedulers on the same optimizer first, in order, exactly as in PyTorch.
 */
import type { SchedulableOptimizer } from "../optimizer";
import type { LRScheduler, Scheduler, SchedulerInterval, SchedulerStateDict } from "./lr-scheduler";

export class SequentialLR implements Scheduler {
  readonly interval: SchedulerInterval;
  lastEpoch: number;
  private lastLr: number[];

  constructor(
    readonly optimizer: SchedulableOptimizer,
    readonly schedulers: LRScheduler[],
    readonly milestones: number[],
  ) {
    if (schedulers.length === 0) throw new Error("SequentialLR: pass at least one scheduler");
    if (milestones.length !== schedulers.length - 1) {
      throw new Error(`SequentialLR: expected ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, got ${milestones.length}`);
    }
    schedulers.forEach((scheduler, index) => {
      if (scheduler.optimizer !== optimizer) throw new Error(`SequentialLR: scheduler ${index} drives a different optimizer; build all on the same one`);
    });
    this.interval = schedulers[0].interval;
    this.lastEpoch = 0;
    // Undo the initial steps the children took when they were built, then redo only the first's.
    for (const group of optimizer.paramGroups) group.lr = group.initialLr as number;
    for (const scheduler of schedulers) scheduler.lastEpoch -= 1;
    schedulers[0]["initialStep"]();
    this.lastLr = schedulers[0].getLastLr();
  }

  step(): void {
    this.lastEpoch++;
    const index = this.milestones.filter((milestone) => milestone <= this.lastEpoch).length;
    const scheduler = this.schedulers[index];
    if (index > 0 && this.milestones[index - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, lastLr: [...this.lastLr], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(state: SchedulerStateDict): void {
    const children = state.schedulers;
    if (typeof state.lastEpoch !== "number" || !Array.isArray(children) || children.length !== this.schedulers.length) {
      throw new Error(`SequentialLR.loadStateDict: expected the state of ${this.schedulers.length} schedulers from SequentialLR.stateDict()`);
    }
    this.lastEpoch = state.lastEpoch;
    this.lastLr = [...(state.lastLr as number[])];
    this.schedulers.forEach((scheduler, index) => scheduler.loadStateDict((children as SchedulerStateDict[])[index]));
  }
}
