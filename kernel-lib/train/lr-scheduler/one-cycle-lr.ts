/**
 * `torch.optim.lr_scheduler.OneCycleLR` (Smith's 1cycle): the lr warms up from maxLr/divFactor to maxLr
 * over `pctStart` of the steps, then anneals to maxLr/divFactor/finalDivFactor; momentum (or Adam's
 * beta1) cycles the opposite way. Stepped after every optimizer step, so `interval` is "step".
 */
import type { SchedulableOptimizer } from "../optimizer";
import { LRScheduler } from "./lr-scheduler";

export interface OneCycleLROptions {
  /** Peak lr, one for all groups or one per group. */
  maxLr: number | number[];
  /** Either totalSteps, or epochs and stepsPerEpoch (their product). */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: "cos" | "linear";
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
}

type Anchor = "initialLr" | "maxLr" | "minLr";
type MomentumAnchor = "maxMomentum" | "baseMomentum";
interface Phase {
  endStep: number;
  startLr: Anchor;
  endLr: Anchor;
  startMomentum: MomentumAnchor;
  endMomentum: MomentumAnchor;
}

export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly cycleMomentum: boolean;
  private readonly phases: Phase[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly anchors: Array<Record<Anchor | MomentumAnchor, number>>;

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    const groups = optimizer.paramGroups;
    const totalSteps = oneCycleTotalSteps(options);
    const maxLrs = Array.isArray(options.maxLr) ? options.maxLr : groups.map(() => options.maxLr as number);
    if (maxLrs.length !== groups.length) throw new Error(`OneCycleLR: maxLr lists ${maxLrs.length} values for ${groups.length} param groups`);
    const divFactor = options.divFactor ?? 25;
    const finalDivFactor = options.finalDivFactor ?? 1e4;
    const baseMomentum = options.baseMomentum ?? 0.85;
    const maxMomentum = options.maxMomentum ?? 0.95;
    const cycleMomentum = options.cycleMomentum ?? true;
    const lastEpoch = options.lastEpoch ?? -1;
    const anchors = groups.map((group, index) => {
      const initialLr = maxLrs[index] / divFactor;
      if (lastEpoch === -1) {
        group.initialLr = initialLr;
        group.lr = initialLr;
      }
      return { initialLr, maxLr: maxLrs[index], minLr: initialLr / finalDivFactor, maxMomentum, baseMomentum };
    });
    if (cycleMomentum) {
      groups.forEach((group, index) => {
        if (group.momentum === undefined && group.betas === undefined) {
          throw new Error(`OneCycleLR: param group ${index} has neither momentum nor betas; pass cycleMomentum: false`);
        }
        if (lastEpoch === -1) setMomentum(group, maxMomentum);
      });
    }
    super(optimizer, lastEpoch);
    const pctStart = options.pctStart ?? 0.3;
    if (!(pctStart >= 0 && pctStart <= 1)) throw new Error(`OneCycleLR: pctStart must be in [0, 1], got ${pctStart}`);
    this.totalSteps = totalSteps;
    this.cycleMomentum = cycleMomentum;
    this.anchors = anchors;
    this.interval = "step";
    this.phases = options.threePhase
      ? [
          { endStep: pctStart * totalSteps - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
          { endStep: 2 * pctStart * totalSteps - 2, startLr: "maxLr", endLr: "initialLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
          { endStep: totalSteps - 1, startLr: "initialLr", endLr: "minLr", startMomentum: "maxMomentum", endMomentum: "maxMomentum" },
        ]
      : [
          { endStep: pctStart * totalSteps - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
          { endStep: totalSteps - 1, startLr: "maxLr", endLr: "minLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
        ];
    this.anneal = (options.annealStrategy ?? "cos") === "cos" ? annealCos : annealLinear;
    this.initialStep();
  }

  protected getLr(): number[] {
    const stepNumber = this.lastEpoch;
    if (stepNumber > this.totalSteps) {
      throw new Error(`OneCycleLR: stepped ${stepNumber} times but totalSteps is ${this.totalSteps}; raise totalSteps (or epochs x stepsPerEpoch)`);
    }
    return this.optimizer.paramGroups.map((group, index) => {
      const anchor = this.anchors[index];
      let startStep = 0;
      let lr = group.lr;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i];
        if (stepNumber <= phase.endStep || i === this.phases.length - 1) {
          const pct = (stepNumber - startStep) / (phase.endStep - startStep);
          lr = this.anneal(anchor[phase.startLr], anchor[phase.endLr], pct);
          if (this.cycleMomentum) setMomentum(group, this.anneal(anchor[phase.startMomentum], anchor[phase.endMomentum], pct));
          break;
        }
        startStep = phase.endStep;
      }
      return lr;
    });
  }
}

function oneCycleTotalSteps(options: OneCycleLROptions): number {
  if (options.totalSteps !== undefined) {
    if (!(Number.isInteger(options.totalSteps) && options.totalSteps > 0)) throw new Error(`OneCycleLR: totalSteps must be a positive integer, got ${options.totalSteps}`);
    return options.totalSteps;
  }
  const { epochs, stepsPerEpoch } = options;
  if (epochs === undefined || stepsPerEpoch === undefined || !(epochs > 0 && stepsPerEpoch > 0)) {
    throw new Error("OneCycleLR: pass totalSteps, or both epochs and stepsPerEpoch (e.g. loader.length)");
  }
  return epochs * stepsPerEpoch;
}

function setMomentum(group: SchedulableOptimizer["paramGroups"][number], value: number): void {
  if (group.betas !== undefined) group.betas = [value, group.betas[1]];
  else group.momentum = value;
}

function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}
