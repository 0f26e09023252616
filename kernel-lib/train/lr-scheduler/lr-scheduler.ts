/**
 * The base of the learning-rate schedulers, following `torch.optim.lr_scheduler` step for step: the
 * constructor performs the initial `step()`, each later `step()` advances `lastEpoch` and rewrites every
 * group's `lr` with the scheduler's recursive ("chainable") formula, so sequences equal PyTorch's to
 * the last bits. `step(epoch)` with an explicit epoch uses the closed form where PyTorch has one.
 *
 * Whether an "epoch" is an epoch or an optimizer step is up to the caller (`fit` reads `interval`).
 */
import type { SchedulableOptimizer } from "../optimizer";

export type SchedulerInterval = "epoch" | "step";

/** Plain JSON numbers: enough to continue the schedule from a checkpoint. */
export type SchedulerStateDict = Record<string, number | number[] | SchedulerStateDict[] | boolean>;

/** What `fit` and checkpoints need from any scheduler (SequentialLR included). */
export interface Scheduler {
  /** When `fit` calls `step()`: after every epoch, or after every optimizer step. */
  readonly interval: SchedulerInterval;
  step(): void;
  getLastLr(): number[];
  stateDict(): SchedulerStateDict;
  loadStateDict(state: SchedulerStateDict): void;
}

export abstract class LRScheduler implements Scheduler {
  interval: SchedulerInterval = "epoch";
  lastEpoch: number;
  baseLrs: number[];
  /** PyTorch's `_step_count`: steps taken, the constructor's initial step included. */
  protected stepCount = 0;
  private lastLr: number[] = [];

  protected constructor(readonly optimizer: SchedulableOptimizer, lastEpoch = -1) {
    if (lastEpoch === -1) {
      for (const group of optimizer.paramGroups) if (group.initialLr === undefined) group.initialLr = group.lr;
    } else {
      optimizer.paramGroups.forEach((group, index) => {
        if (group.initialLr === undefined) {
          throw new Error(`${this.constructor.name}: lastEpoch=${lastEpoch} needs initialLr in param group ${index}; resume with loadStateDict instead`);
        }
      });
    }
    this.baseLrs = optimizer.paramGroups.map((group) => group.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** Subclasses call this at the end of their constructor, once their own fields are set. */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The recursive formula: next lrs from the groups' current lrs. */
  protected abstract getLr(): number[];

  /** The closed form used by `step(epoch)`, where PyTorch has one. */
  protected closedFormLr(): number[] | undefined {
    return undefined;
  }

  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.optimizer.paramGroups.forEach((group, index) => {
      group.lr = values[index];
    });
    this.lastLr = values;
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((group) => group.lr);
  }

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, stepCount: this.stepCount, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  loadStateDict(state: SchedulerStateDict): void {
    const { lastEpoch, stepCount, baseLrs, lastLr } = state;
    if (typeof lastEpoch !== "number" || typeof stepCount !== "number" || !Array.isArray(baseLrs) || !Array.isArray(lastLr)) {
      throw new Error(`${this.constructor.name}.loadStateDict: not a scheduler state (expected lastEpoch, stepCount, baseLrs, lastLr)`);
    }
    this.lastEpoch = lastEpoch;
    this.stepCount = stepCount;
    this.baseLrs = [...(baseLrs as number[])];
    this.lastLr = [...(lastLr as number[])];
  }
}
