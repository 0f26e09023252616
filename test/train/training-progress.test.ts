import { test } from "node:test";
import assert from "node:assert/strict";
import { TrainingProgress, formatDuration } from "../../kernel-lib/train/training-progress";
import type { KernelDisplayHook, MimeBundle } from "../../kernel-lib/plots/display";
import { recordingSink } from "./fixtures";

interface Sent {
  bundle: MimeBundle;
  displayId?: string;
  update?: boolean;
}

function withKernelHook<T>(run: (sent: Sent[]) => T): T {
  const sent: Sent[] = [];
  const hook: KernelDisplayHook = (bundle, displayId, update) => void sent.push({ bundle, displayId, update });
  const globals = globalThis as { __kernelLibDisplay?: KernelDisplayHook };
  globals.__kernelLibDisplay = hook;
  try {
    return run(sent);
  } finally {
    delete globals.__kernelLibDisplay;
  }
}

test("in the notebook, 3 epochs x 200 steps become one display updated in place, ending as a compact table", () => {
  withKernelHook((sent) => {
    const progress = new TrainingProgress(3, recordingSink(false), 0);
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let step = 1; step <= 200; step++) progress.step(epoch, step, 200, step * 0.01, 1 / step, 3200);
      progress.epochEnd({ epoch, values: { train_loss: 1 / (epoch + 1), val_acc: 0.5 + epoch / 10, time: "2.0s" } });
    }
    const ids = new Set(sent.map((s) => s.displayId));
    assert.equal(ids.size, 1, "all output goes to one display");
    assert.equal(sent[0].update, false, "the first message creates the display");
    assert.ok(sent.slice(1).every((s) => s.update === true), "later messages update it");
    const mid = sent.find((s) => s.bundle["text/plain"].includes("epoch 2/3") && s.bundle["text/plain"].includes(" 100/200"));
    assert.ok(mid, "a mid-epoch update shows epoch and step");
    assert.match(mid.bundle["text/plain"], /\[#{15}\.{15}\] 100\/200 00:01<00:01 loss 0\.0100 3200\.0 img\/s/);
    const final = sent[sent.length - 1].bundle;
    assert.equal(final["text/plain"].trim().split("\n").length, 4, `header + 3 rows, no bar left:\n${final["text/plain"]}`);
    assert.equal((final["text/html"] ?? "").match(/<tr>/g)?.length, 4);
    assert.match(final["text/html"] ?? "", /<td>0\.7000<\/td>/);
  });
});

test("the notebook display is throttled", () => {
  withKernelHook((sent) => {
    const progress = new TrainingProgress(1, recordingSink(false), 60_000);
    for (let step = 1; step <= 1000; step++) progress.step(0, step, 1000, step, 1, 1);
    assert.equal(sent.length, 2, "first step and last step only within the redraw interval");
  });
});

test("in a TTY the bar is redrawn with \\r and each epoch leaves one line; elsewhere only epoch lines", () => {
  const tty = recordingSink(true);
  const plain = recordingSink(false);
  for (const sink of [tty, plain]) {
    const progress = new TrainingProgress(2, sink, 0, false);
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let step = 1; step <= 5; step++) progress.step(epoch, step, 5, step, 0.5, 10);
      progress.epochEnd({ epoch, values: { train_loss: 0.25 } });
    }
    progress.note("done");
  }
  assert.equal((tty.text().match(/\r/g) ?? []).length, 13, "10 bar redraws + 2 clears before epoch lines + 1 before the note");
  assert.match(tty.text(), /\repoch 2\/2 \[#{30}\] 5\/5/);
  assert.equal(plain.text(), "epoch  train_loss\n    1      0.2500\n    2      0.2500\ndone\n");
});

test("durations read like a clock", () => {
  assert.deepEqual([formatDuration(5), formatDuration(75), formatDuration(3725), formatDuration(NaN)], ["00:05", "01:15", "1:02:05", "?"]);
});
