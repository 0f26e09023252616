import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { SGD } from "../../kernel-lib/train/sgd";
import { Adam } from "../../kernel-lib/train/adam";
import type { Optimizer, BaseHyperparameters } from "../../kernel-lib/train/optimizer";
import {
  CosineAnnealingLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  SequentialLR,
  StepLR,
  type Scheduler,
} from "../../kernel-lib/train/lr-scheduler";
import { runTorch, torchMissing } from "./torch-reference";

tf.setBackend("cpu");

const STEPS = 40;

/** Each case: how PyTorch builds it (Python expression over `opt`) and how we do. */
interface Case {
  optimizer: "SGD" | "Adam";
  torch: string;
  ours: (optimizer: Optimizer<BaseHyperparameters>) => Scheduler;
}

const CASES: Record<string, Case> = {
  StepLR: { optimizer: "SGD", torch: "S.StepLR(opt, step_size=7, gamma=0.5)", ours: (o) => new StepLR(o, { stepSize: 7, gamma: 0.5 }) },
  MultiStepLR: {
    optimizer: "SGD",
    torch: "S.MultiStepLR(opt, milestones=[25, 5, 12, 12], gamma=0.3)",
    ours: (o) => new MultiStepLR(o, { milestones: [25, 5, 12, 12], gamma: 0.3 }),
  },
  CosineAnnealingLR: {
    optimizer: "SGD",
    torch: "S.CosineAnnealingLR(opt, T_max=15, eta_min=0.001)",
    ours: (o) => new CosineAnnealingLR(o, { tMax: 15, etaMin: 0.001 }),
  },
  LinearLR: {
    optimizer: "SGD",
    torch: "S.LinearLR(opt, start_factor=0.1, end_factor=0.9, total_iters=8)",
    ours: (o) => new LinearLR(o, { startFactor: 0.1, endFactor: 0.9, totalIters: 8 }),
  },
  "OneCycleLR (cos, SGD momentum)": {
    optimizer: "SGD",
    torch: "S.OneCycleLR(opt, max_lr=[0.5, 0.05], total_steps=40)",
    ours: (o) => new OneCycleLR(o, { maxLr: [0.5, 0.05], totalSteps: 40 }),
  },
  "OneCycleLR (linear, three phase, Adam beta1)": {
    optimizer: "Adam",
    torch: "S.OneCycleLR(opt, max_lr=0.01, epochs=4, steps_per_epoch=10, anneal_strategy='linear', three_phase=True, pct_start=0.25)",
    ours: (o) => new OneCycleLR(o, { maxLr: 0.01, epochs: 4, stepsPerEpoch: 10, annealStrategy: "linear", threePhase: true, pctStart: 0.25 }),
  },
  "SequentialLR (LinearLR warmup, then CosineAnnealingLR)": {
    optimizer: "SGD",
    torch: "S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.01, total_iters=5), S.CosineAnnealingLR(opt, T_max=30)], milestones=[5])",
    ours: (o) => new SequentialLR(o, [new LinearLR(o, { startFactor: 0.01, totalIters: 5 }), new CosineAnnealingLR(o, { tMax: 30 })], [5]),
  },
  "SequentialLR (StepLR then MultiStepLR)": {
    optimizer: "SGD",
    torch: "S.SequentialLR(opt, [S.StepLR(opt, 3, gamma=0.9), S.MultiStepLR(opt, [4, 9])], milestones=[10])",
    ours: (o) => new SequentialLR(o, [new StepLR(o, { stepSize: 3, gamma: 0.9 }), new MultiStepLR(o, { milestones: [4, 9] })], [10]),
  },
};

const TORCH_SCRIPT = `
import json, sys, torch
import torch.optim.lr_scheduler as S
out = {}
for name, case in json.load(sys.stdin).items():
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    groups = [{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.01}]
    opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9) if case["optimizer"] == "SGD" else torch.optim.Adam(groups)
    sched = eval(case["torch"])
    def momenta():
        return [g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups]
    lrs, moms = [sched.get_last_lr()], [momenta()]
    for _ in range(${STEPS}):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()); moms.append(momenta())
    out[name] = {"lrs": lrs, "momenta": moms}
print(json.dumps(out))
`;

interface Sequence {
  lrs: number[][];
  momenta: number[][];
}

let torchSequences: Record<string, Sequence> | undefined;

function torchSequence(name: string): Sequence {
  torchSequences ??= runTorch<Record<string, Sequence>>(
    TORCH_SCRIPT,
    Object.fromEntries(Object.entries(CASES).map(([key, c]) => [key, { optimizer: c.optimizer, torch: c.torch }])),
  );
  return torchSequences[name];
}

function twoGroupOptimizer(kind: "SGD" | "Adam"): { optimizer: Optimizer<BaseHyperparameters>; variables: tf.Variable[] } {
  const a = tf.variable(tf.zeros([2]));
  const b = tf.variable(tf.zeros([2]));
  const groups = [
    { params: [["a", a]] as Array<[string, tf.Variable]>, lr: 0.1 },
    { params: [["b", b]] as Array<[string, tf.Variable]>, lr: 0.01 },
  ];
  const optimizer = kind === "SGD" ? new SGD(groups, { lr: 0.1, momentum: 0.9 }) : new Adam(groups);
  return { optimizer: optimizer as unknown as Optimizer<BaseHyperparameters>, variables: [a, b] };
}

function momenta(optimizer: Optimizer<BaseHyperparameters>): number[] {
  return optimizer.paramGroups.map((group) => {
    const g = group as unknown as { momentum?: number; betas?: [number, number] };
    return g.momentum ?? (g.betas as [number, number])[0];
  });
}

function assertSequenceClose(actual: number[][], expected: number[][], what: string): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((values, step) =>
    values.forEach((value, group) => {
      const reference = expected[step][group];
      assert.ok(Math.abs(value - reference) <= 1e-12 * Math.max(1e-3, Math.abs(reference)), `${what} at step ${step}, group ${group}: ${value} vs torch ${reference}`);
    }),
  );
}

for (const [name, c] of Object.entries(CASES)) {
  test(`${name}: lr (and momentum) sequence equals PyTorch's over ${STEPS} steps`, { skip: torchMissing() }, () => {
    const expected = torchSequence(name);
    const { optimizer, variables } = twoGroupOptimizer(c.optimizer);
    const scheduler = c.ours(optimizer);
    const lrs = [scheduler.getLastLr()];
    const moms = [momenta(optimizer)];
    for (let i = 0; i < STEPS; i++) {
      scheduler.step();
      lrs.push(scheduler.getLastLr());
      moms.push(momenta(optimizer));
    }
    assertSequenceClose(lrs, expected.lrs, "lr");
    assertSequenceClose(moms, expected.momenta, "momentum");
    assert.deepEqual(optimizer.paramGroups.map((g) => g.lr), lrs[STEPS], "the optimizer's groups carry the scheduled lr");
    tf.dispose(variables);
  });
}

test("a scheduler restored from stateDict continues the same sequence", () => {
  for (const build of [
    (o: Optimizer<BaseHyperparameters>) => new OneCycleLR(o, { maxLr: 0.3, totalSteps: 30 }),
    (o: Optimizer<BaseHyperparameters>) => new SequentialLR(o, [new LinearLR(o, { totalIters: 4 }), new CosineAnnealingLR(o, { tMax: 20 })], [4]),
  ]) {
    const straight = twoGroupOptimizer("SGD");
    const reference = build(straight.optimizer);
    const first = twoGroupOptimizer("SGD");
    const interrupted = build(first.optimizer);
    for (let i = 0; i < 10; i++) {
      reference.step();
      interrupted.step();
    }
    const saved = JSON.parse(JSON.stringify({ scheduler: interrupted.stateDict(), groups: first.optimizer.stateDict().paramGroups }));
    const second = twoGroupOptimizer("SGD");
    const resumed = build(second.optimizer);
    second.optimizer.loadStateDict({ state: {}, paramGroups: saved.groups });
    resumed.loadStateDict(saved.scheduler);
    for (let i = 0; i < 15; i++) {
      reference.step();
      resumed.step();
      assert.deepEqual(resumed.getLastLr(), reference.getLastLr());
      assert.deepEqual(momenta(second.optimizer), momenta(straight.optimizer));
    }
    tf.dispose([...straight.variables, ...first.variables, ...second.variables]);
  }
});

test("bad scheduler input gets a clear error", () => {
  const { optimizer, variables } = twoGroupOptimizer("SGD");
  assert.throws(() => new StepLR(optimizer, { stepSize: 0 }), /stepSize must be a positive integer/);
  assert.throws(() => new OneCycleLR(optimizer, { maxLr: 0.1 }), /pass totalSteps, or both epochs and stepsPerEpoch/);
  const oneCycle = new OneCycleLR(optimizer, { maxLr: 0.1, totalSteps: 2 });
  oneCycle.step();
  oneCycle.step();
  assert.throws(() => oneCycle.step(), /raise totalSteps/);
  tf.dispose(variables);
});
