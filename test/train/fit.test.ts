import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { fit, TrainingInterrupted } from "../../kernel-lib/train/fit";
import { SGD } from "../../kernel-lib/train/sgd";
import { AdamW } from "../../kernel-lib/train/adam";
import { OneCycleLR, StepLR } from "../../kernel-lib/train/lr-scheduler";
import { EarlyStopping } from "../../kernel-lib/train/early-stopping";
import { crossEntropyLoss } from "../../kernel-lib/train/cross-entropy";
import { topKAccuracy } from "../../kernel-lib/train/accuracy";
import { loadCheckpoint, readCheckpointProgress } from "../../kernel-lib/train/checkpoint";
import type { Callback, EpochRecord } from "../../kernel-lib/train/callbacks";
import { ClusterLoader, recordingSink, TinyClassifier } from "./fixtures";

tf.setBackend("cpu");

function temporaryFolder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kernel-lib-fit-"));
}

test("fit learns separable clusters, reports every field, keeps the tensor count flat and calls callbacks in order", async () => {
  const model = new TinyClassifier(12, 16, 3, 0);
  const optimizer = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
  const scheduler = new StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
  const tensorCounts: number[] = [];
  const events: string[] = [];
  const recorder: Callback = {
    onTrainBegin: () => void events.push("trainBegin"),
    onEpochBegin: (epoch) => void events.push(`epochBegin${epoch}`),
    onBatchEnd: (logs) => void (logs.step === 0 && events.push(`batch${logs.epoch}.0`)),
    onEpochEnd: (record) => {
      events.push(`epochEnd${record.epoch}`);
      tensorCounts.push(tf.memory().numTensors);
    },
    onTrainEnd: (history) => void events.push(`trainEnd${history.length}`),
  };
  const sink = recordingSink(false);
  const history = await fit(
    model,
    { train: new ClusterLoader(96, 16), val: new ClusterLoader(48, 16, 3, 7) },
    {
      epochs: 4,
      optimizer,
      scheduler,
      loss: crossEntropyLoss({ labelSmoothing: 0.05 }),
      metrics: { top2: topKAccuracy(2) },
      clipGradNorm: 5,
      callbacks: [recorder],
      progressSink: sink,
    },
  );
  assert.equal(history.length, 4);
  const last = history[3];
  assert.ok((last.valAccuracy as number) > 0.9, `val accuracy ${last.valAccuracy}`);
  assert.ok(last.trainLoss < history[0].trainLoss, "train loss falls");
  assert.deepEqual(history.map((r) => r.lr), [0.1, 0.1, 0.05, 0.05], "lr used in each epoch, StepLR(2, 0.5)");
  for (const record of history) {
    for (const key of ["trainLoss", "trainAccuracy", "valLoss", "valAccuracy", "seconds", "imagesPerSecond"] as const) {
      assert.ok(Number.isFinite(record[key]), `${key} of epoch ${record.epoch}`);
    }
    assert.ok(record.metrics.trainTop2 >= record.trainAccuracy && record.metrics.valTop2 >= (record.valAccuracy as number));
  }
  assert.equal(new Set(tensorCounts).size, 1, `numTensors after each epoch: ${tensorCounts}`);
  assert.deepEqual(events.slice(0, 4), ["trainBegin", "epochBegin0", "batch0.0", "epochEnd0"]);
  assert.equal(events[events.length - 1], "trainEnd4");
  const lines = sink.text().trim().split("\n");
  assert.equal(lines.length, 5, `non-TTY output is a header and one line per epoch:\n${sink.text()}`);
  assert.match(lines[0], /epoch.*train_loss.*val_acc.*lr.*img\/s/);
  assert.ok(!sink.text().includes("\r"), "no carriage returns outside a TTY");
  optimizer.dispose();
  model.dispose();
});

test("a NaN loss stops fit with the epoch and step", async () => {
  const model = new TinyClassifier(12, 8, 3, 1);
  const optimizer = new SGD(model.namedParameters(), { lr: 0.1 });
  let calls = 0;
  const poisonedLoss = (logits: tf.Tensor, labels: tf.Tensor): tf.Scalar =>
    tf.tidy(() => {
      calls++;
      const loss = crossEntropyLoss()(logits, labels);
      return (calls === 9 ? tf.mul(loss, NaN) : loss) as tf.Scalar;
    });
  const before = tf.memory().numTensors;
  await assert.rejects(
    fit(model, { train: new ClusterLoader(48, 8) }, { epochs: 3, optimizer, loss: poisonedLoss, progress: false }),
    /loss is NaN at epoch 2, step 3 .*Lower the learning rate/,
  );
  assert.equal(tf.memory().numTensors, before, "nothing leaks when fit throws");
  optimizer.dispose();
  model.dispose();
});

interface Run {
  model: TinyClassifier;
  optimizer: AdamW;
  scheduler: OneCycleLR;
  train: ClusterLoader;
  val: ClusterLoader;
}

function freshRun(): Run {
  const model = new TinyClassifier(12, 8, 3, 3);
  const optimizer = new AdamW(model.namedParameters(), { lr: 0.01, weightDecay: 0.01 });
  const train = new ClusterLoader(60, 8, 3, 5, 1.5);
  // 8 batches per epoch, 2 per optimizer step: 4 steps per epoch.
  const scheduler = new OneCycleLR(optimizer, { maxLr: 0.05, epochs: 3, stepsPerEpoch: 4 });
  return { model, optimizer, scheduler, train, val: new ClusterLoader(30, 10, 3, 9, 1.5) };
}

function finish(run: Run): number[] {
  const weights = run.model.namedParameters().flatMap(([, v]) => Array.from(v.dataSync()));
  run.optimizer.dispose();
  run.model.dispose();
  return weights;
}

test("interrupt (SIGINT) after a step leaves a checkpoint; resume gives the same losses and weights as an uninterrupted run", async () => {
  const folder = temporaryFolder();
  const options = (run: Run) => ({ epochs: 3, optimizer: run.optimizer, scheduler: run.scheduler, accumulateSteps: 2, clipGradNorm: 1, progress: false });

  const straight = freshRun();
  const reference = await fit(straight.model, straight, options(straight));
  const referenceWeights = finish(straight);

  const interrupted = freshRun();
  const checkpoint = path.join(folder, "last.ckpt");
  const interrupter: Callback = {
    onBatchEnd: (logs) => {
      if (logs.epoch === 1 && logs.step === 1) process.emit("SIGINT");
    },
  };
  const listenersBefore = process.listenerCount("SIGINT");
  await assert.rejects(
    fit(interrupted.model, interrupted, { ...options(interrupted), checkpoint, callbacks: [interrupter] }),
    (error: unknown) => error instanceof TrainingInterrupted && /at epoch 2, step 2/.test(error.message) && error.checkpointPath === checkpoint,
  );
  assert.equal(process.listenerCount("SIGINT"), listenersBefore, "fit removes its SIGINT listener");
  assert.deepEqual(
    { epoch: readCheckpointProgress(checkpoint).epoch, step: readCheckpointProgress(checkpoint).stepInEpoch },
    { epoch: 1, step: 2 },
  );
  finish(interrupted);
  assert.deepEqual(fs.readdirSync(folder), ["last.ckpt"], "no temporary files left behind");

  const resumed = freshRun();
  const history = await fit(resumed.model, resumed, { ...options(resumed), checkpoint, resume: true });
  const resumedWeights = finish(resumed);
  const losses = (records: EpochRecord[]) => records.map((r) => [r.trainLoss, r.trainAccuracy, r.valLoss, r.lr]);
  assert.deepEqual(losses(history), losses(reference));
  assert.deepEqual(resumedWeights, referenceWeights);
  fs.rmSync(folder, { recursive: true });
});

test("an AbortSignal stops like SIGINT; the best checkpoint holds the best epoch; EarlyStopping ends the run", async () => {
  const folder = temporaryFolder();
  const model = new TinyClassifier(12, 8, 3, 4);
  const optimizer = new SGD(model.namedParameters(), { lr: 0.5 });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    fit(model, { train: new ClusterLoader(32, 8) }, { epochs: 2, optimizer, signal: controller.signal, checkpoint: path.join(folder, "a.ckpt"), progress: false }),
    /interrupted at epoch 1, step 1/,
  );

  const best = path.join(folder, "best.ckpt");
  const sink = recordingSink(true);
  // A huge lr and a monitor on train loss: loss will not keep improving, so early stopping triggers.
  const history = await fit(
    model,
    { train: new ClusterLoader(32, 8), val: new ClusterLoader(16, 8, 3, 2, 0) },
    {
      epochs: 30,
      optimizer,
      checkpoint: { path: path.join(folder, "last.ckpt"), bestPath: best, monitor: "valLoss" },
      callbacks: [new EarlyStopping({ monitor: "valLoss", patience: 2, minDelta: 1e-3 })],
      progressSink: sink,
    },
  );
  assert.ok(history.length < 30, "early stopping ended the run");
  const bestEpoch = history.reduce((a, b) => ((b.valLoss as number) < (a.valLoss as number) ? b : a));
  assert.equal(readCheckpointProgress(best).epoch, bestEpoch.epoch + 1);
  assert.match(sink.text(), /\r.*epoch 1\/30 \[/);
  assert.match(sink.text(), /early stopping: valLoss did not improve for 2 epochs/);

  // The best checkpoint restores the best epoch's weights: val loss equals the recorded one.
  const restored = new TinyClassifier(12, 8, 3, 99);
  loadCheckpoint(best, { model: restored });
  const { evaluate } = await import("../../kernel-lib/train/evaluate");
  const check = await evaluate(restored, new ClusterLoader(16, 8, 3, 2, 0));
  assert.ok(Math.abs(check.loss - (bestEpoch.valLoss as number)) < 1e-6, `${check.loss} vs ${bestEpoch.valLoss}`);
  restored.dispose();
  optimizer.dispose();
  model.dispose();
  fs.rmSync(folder, { recursive: true });
});

test("bad fit input gets a clear error", async () => {
  const model = new TinyClassifier(12, 4, 3);
  const optimizer = new SGD(model.namedParameters(), { lr: 0.1 });
  const train = new ClusterLoader(8, 4);
  await assert.rejects(fit(model, { train }, { epochs: 0, optimizer }), /epochs must be a positive integer/);
  await assert.rejects(fit(model, { train }, { epochs: 1, optimizer, accumulateSteps: 0 }), /accumulateSteps must be a positive integer/);
  await assert.rejects(fit(model, { train }, { epochs: 1, optimizer, resume: true }), /resume: true needs checkpoint/);
  await assert.rejects(fit(model, { train: [] as unknown as ClusterLoader }, { epochs: 1, optimizer }), /loaders.train must be a DataLoader/);
  model.dispose();
});

test("accumulateSteps: two batches of 8 per step update like one batch of 16", async () => {
  /** The same 16 samples, in order, as one batch or as two. */
  class FixedLoader {
    constructor(
      private readonly images: number[],
      private readonly labels: number[],
      private readonly batchSize: number,
    ) {}
    get length(): number {
      return Math.ceil(this.labels.length / this.batchSize);
    }
    async *[Symbol.asyncIterator](): AsyncIterator<[tf.Tensor4D, tf.Tensor1D]> {
      for (let start = 0; start < this.labels.length; start += this.batchSize) {
        const labels = this.labels.slice(start, start + this.batchSize);
        yield [tf.tensor4d(this.images.slice(start * 12, (start + labels.length) * 12), [labels.length, 2, 2, 3]), tf.tensor1d(labels, "int32")];
      }
    }
  }
  const images = Array.from({ length: 16 * 12 }, (_, i) => Math.sin(i * 1.7));
  const labels = Array.from({ length: 16 }, (_, i) => (i * 7) % 3);
  const weights: number[][] = [];
  for (const [batchSize, accumulateSteps] of [[16, 1], [8, 2]]) {
    const model = new TinyClassifier(12, 8, 3, 6);
    const optimizer = new SGD(model.namedParameters(), { lr: 0.3, momentum: 0.9 });
    await fit(model, { train: new FixedLoader(images, labels, batchSize) }, { epochs: 2, optimizer, accumulateSteps, progress: false });
    weights.push(model.namedParameters().flatMap(([, v]) => Array.from(v.dataSync())));
    optimizer.dispose();
    model.dispose();
  }
  weights[0].forEach((value, i) => assert.ok(Math.abs(value - weights[1][i]) < 1e-6, `weight ${i}: ${value} vs ${weights[1][i]}`));
});

test("schedulerInterval: 'step' steps an epoch scheduler after every optimizer step", async () => {
  const { CosineAnnealingLR } = await import("../../kernel-lib/train/lr-scheduler");
  const model = new TinyClassifier(12, 4, 3, 8);
  const optimizer = new SGD(model.namedParameters(), { lr: 0.2 });
  const scheduler = new CosineAnnealingLR(optimizer, { tMax: 8 });
  const seen: number[] = [];
  await fit(model, { train: new ClusterLoader(16, 4) }, {
    epochs: 2,
    optimizer,
    scheduler,
    schedulerInterval: "step",
    progress: false,
    callbacks: [{ onBatchEnd: (logs) => void seen.push(logs.lr) }],
  });
  const expected = Array.from({ length: 8 }, (_, k) => (0.2 * (1 + Math.cos((Math.PI * k) / 8))) / 2);
  seen.forEach((lr, k) => assert.ok(Math.abs(lr - expected[k]) < 1e-12, `step ${k}: ${lr} vs ${expected[k]}`));
  assert.equal(seen.length, 8);
  optimizer.dispose();
  model.dispose();
});
