/** Stops `fit` when a monitored quantity has not improved for `patience` epochs (Keras' EarlyStopping). */
import { defaultMode, monitoredValue, type Callback, type EpochRecord, type MonitoredQuantity, type TrainingControl } from "./callbacks";

export class EarlyStopping implements Callback {
  readonly monitor: MonitoredQuantity;
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: "min" | "max";
  best: number | undefined;
  private epochsWithoutImprovement = 0;

  constructor(options: { monitor?: MonitoredQuantity; patience?: number; minDelta?: number; mode?: "min" | "max" } = {}) {
    this.monitor = options.monitor ?? "valLoss";
    this.patience = options.patience ?? 3;
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.mode = options.mode ?? defaultMode(this.monitor);
  }

  onTrainBegin(): void {
    this.best = undefined;
    this.epochsWithoutImprovement = 0;
  }

  onEpochEnd(record: EpochRecord, control: TrainingControl): void {
    const value = monitoredValue(record, this.monitor);
    if (value === undefined) {
      throw new Error(`EarlyStopping: "${this.monitor}" is not in the epoch record; pass a val loader or monitor trainLoss`);
    }
    const improved = this.best === undefined || (this.mode === "min" ? value < this.best - this.minDelta : value > this.best + this.minDelta);
    if (improved) {
      this.best = value;
      this.epochsWithoutImprovement = 0;
      return;
    }
    this.epochsWithoutImprovement++;
    if (this.epochsWithoutImprovement >= this.patience) {
      control.stopTraining = true;
      control.stopReason = `early stopping: ${this.monitor} did not improve for ${this.patience} epochs (best ${this.best})`;
    }
  }
}
