/**
 * Keras-style hooks into `fit`. Every hook is optional and may be async; set `control.stopTraining` to end
 * the run after the current epoch (this is how EarlyStopping works).
 */
export interface EpochRecord {
  /** 0-based epoch index. */
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate of the first parameter group at the end of the epoch. */
  lr: number;
  /** Wall time of the epoch (training and validation), in seconds. */
  seconds: number;
  /** Training images per second (forward + backward + update). */
  imagesPerSecond: number;
  /** Extra metrics, `train<Name>` / `val<Name>` style keys, e.g. `{ trainTop5: 0.9, valTop5: 0.8 }`. */
  metrics: Record<string, number>;
}

export interface BatchLogs {
  epoch: number;
  /** 0-based optimizer step inside the epoch. */
  step: number;
  loss: number;
  accuracy: number;
  lr: number;
}

export interface TrainingControl {
  stopTraining: boolean;
  /** Why training stopped early (shown under the progress table). */
  stopReason?: string;
}

export interface Callback {
  onTrainBegin?(control: TrainingControl): void | Promise<void>;
  onEpochBegin?(epoch: number, control: TrainingControl): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs, control: TrainingControl): void | Promise<void>;
  onEpochEnd?(record: EpochRecord, control: TrainingControl): void | Promise<void>;
  onTrainEnd?(history: EpochRecord[], control: TrainingControl): void | Promise<void>;
}

/** Names `EarlyStopping` and best-model saving can watch. */
export type MonitoredQuantity = "valLoss" | "valAccuracy" | "trainLoss" | "trainAccuracy" | string;

/** Reads a monitored value from a record (top-level fields first, then `metrics`). */
export function monitoredValue(record: EpochRecord, monitor: MonitoredQuantity): number | undefined {
  const direct = (record as unknown as Record<string, unknown>)[monitor];
  if (typeof direct === "number") return direct;
  return record.metrics[monitor];
}

/** "min" for losses, "max" for accuracies, unless told. */
export function defaultMode(monitor: MonitoredQuantity): "min" | "max" {
  return /loss/i.test(monitor) ? "min" : "max";
}
