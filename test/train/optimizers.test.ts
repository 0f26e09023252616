import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { SGD } from "../../kernel-lib/train/sgd";
import { Adam, AdamW } from "../../kernel-lib/train/adam";
import { parameterGroups } from "../../kernel-lib/train/param-groups";
import type { NamedParameters } from "../../kernel-lib/train/trainable-module";
import { runTorch, testNumbers, torchMissing } from "./torch-reference";
import { torchBackendOrSkip } from "../engine/torch-test-backend";

tf.setBackend("cpu");

const SHAPES: Record<string, number[]> = { "backbone.weight": [3, 4], "backbone.bias": [4], "fc.weight": [4, 2] };
const STEPS = 5;

interface Scenario {
  optimizer: "SGD" | "Adam" | "AdamW";
  /** torch keyword arguments (snake_case) and ours (camelCase) */
  torchOptions: Record<string, unknown>;
  options: Record<string, unknown>;
  /** lr of the `fc.` group, when the scenario uses two groups */
  headLr?: number;
  /** parameter names that get no gradient at a given step (frozen) */
  frozenAt?: Record<number, string[]>;
}

function initialValues(): Record<string, number[]> {
  const values: Record<string, number[]> = {};
  let seed = 1;
  for (const [name, shape] of Object.entries(SHAPES)) values[name] = testNumbers(shape.reduce((a, b) => a * b, 1), seed++);
  return values;
}

function gradientSequence(frozenAt: Record<number, string[]> = {}): Array<Record<string, number[]>> {
  const steps: Array<Record<string, number[]>> = [];
  for (let step = 0; step < STEPS; step++) {
    const grads: Record<string, number[]> = {};
    let seed = 100 + step * 10;
    for (const [name, shape] of Object.entries(SHAPES)) {
      seed++;
      if (frozenAt[step]?.includes(name)) continue;
      grads[name] = testNumbers(shape.reduce((a, b) => a * b, 1), seed);
    }
    steps.push(grads);
  }
  return steps;
}

const TORCH_SCRIPT = `
import json, sys, torch
def run(spec):
  params = {n: torch.tensor(v, dtype=torch.float32).reshape(spec["shapes"][n]).requires_grad_() for n, v in spec["initial"].items()}
  names = list(spec["shapes"].keys())
  cls = getattr(torch.optim, spec["optimizer"])
  if spec.get("headLr") is not None:
      groups = [{"params": [params[n] for n in names if n.startswith("fc.")], "lr": spec["headLr"]},
                {"params": [params[n] for n in names if not n.startswith("fc.")]}]
  else:
      groups = [params[n] for n in names]
  opt = cls(groups, **spec["torchOptions"])
  history = []
  for grads in spec["grads"]:
      for n in names:
          params[n].grad = torch.tensor(grads[n], dtype=torch.float32).reshape(spec["shapes"][n]) if n in grads else None
      opt.step()
      history.append({n: params[n].detach().reshape(-1).tolist() for n in names})
  return history
print(json.dumps([run(spec) for spec in json.load(sys.stdin)]))
`;

function runOurs(scenario: Scenario, grads: Array<Record<string, number[]>>, initial: Record<string, number[]>) {
  const named: NamedParameters = Object.entries(SHAPES).map(([name, shape]) => [name, tf.tidy(() => tf.variable(tf.tensor(initial[name], shape)))]);
  const groups = scenario.headLr === undefined ? named : parameterGroups(named, [{ match: "fc.", lr: scenario.headLr }]);
  const optimizer =
    scenario.optimizer === "SGD"
      ? new SGD(groups as NamedParameters, scenario.options as { lr: number })
      : scenario.optimizer === "Adam"
        ? new Adam(groups as NamedParameters, scenario.options)
        : new AdamW(groups as NamedParameters, scenario.options);
  const history: Array<Record<string, number[]>> = [];
  for (const stepGrads of grads) {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, values] of Object.entries(stepGrads)) tensors[name] = tf.tensor(values, SHAPES[name]);
    optimizer.step(tensors);
    tf.dispose(Object.values(tensors));
    history.push(Object.fromEntries(named.map(([name, variable]) => [name, Array.from(variable.dataSync())])));
  }
  optimizer.dispose();
  named.forEach(([, variable]) => variable.dispose());
  return history;
}

function assertClose(actual: Array<Record<string, number[]>>, expected: Array<Record<string, number[]>>, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((step, index) => {
    for (const [name, values] of Object.entries(expected[index])) {
      values.forEach((value, i) => {
        const difference = Math.abs(step[name][i] - value);
        assert.ok(difference <= tolerance * Math.max(1, Math.abs(value)), `step ${index + 1} ${name}[${i}]: ${step[name][i]} vs torch ${value}`);
      });
    }
  });
}

const SCENARIOS: Record<string, Scenario> = {
  "SGD plain": { optimizer: "SGD", torchOptions: { lr: 0.1 }, options: { lr: 0.1 } },
  "SGD momentum + dampening + weight decay": {
    optimizer: "SGD",
    torchOptions: { lr: 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 0.01 },
    options: { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
  },
  "SGD nesterov + maximize": {
    optimizer: "SGD",
    torchOptions: { lr: 0.05, momentum: 0.8, nesterov: true, weight_decay: 5e-4, maximize: true },
    options: { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 5e-4, maximize: true },
  },
  "SGD with a lower-lr backbone group and a frozen-then-unfrozen backbone": {
    optimizer: "SGD",
    torchOptions: { lr: 0.01, momentum: 0.9 },
    options: { lr: 0.01, momentum: 0.9 },
    headLr: 0.1,
    frozenAt: { 1: ["backbone.weight", "backbone.bias"], 2: ["backbone.weight", "backbone.bias"] },
  },
  "Adam with weight decay": {
    optimizer: "Adam",
    torchOptions: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, weight_decay: 0.1 },
    options: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 },
  },
  "Adam amsgrad with a frozen step": {
    optimizer: "Adam",
    torchOptions: { lr: 0.02, amsgrad: true },
    options: { lr: 0.02, amsgrad: true },
    frozenAt: { 2: ["fc.weight"] },
  },
  "AdamW decoupled decay, two groups": {
    optimizer: "AdamW",
    torchOptions: { lr: 0.01, weight_decay: 0.05 },
    options: { lr: 0.01, weightDecay: 0.05 },
    headLr: 0.03,
  },
};

type History = Array<Record<string, number[]>>;
let torchHistories: Record<string, History> | undefined;

/** One Python run computes every scenario (starting torch costs more than the steps). */
function torchHistory(title: string): History {
  if (torchHistories === undefined) {
    const titles = Object.keys(SCENARIOS);
    const specs = titles.map((name) => {
      const scenario = SCENARIOS[name];
      return {
        shapes: SHAPES,
        initial: initialValues(),
        grads: gradientSequence(scenario.frozenAt),
        optimizer: scenario.optimizer,
        torchOptions: scenario.torchOptions,
        headLr: scenario.headLr ?? null,
      };
    });
    const histories = runTorch<History[]>(TORCH_SCRIPT, specs);
    torchHistories = Object.fromEntries(titles.map((name, index) => [name, histories[index]]));
  }
  return torchHistories[title];
}

for (const [title, scenario] of Object.entries(SCENARIOS)) {
  test(`${title} matches torch.optim over ${STEPS} steps`, { skip: torchMissing() }, () => {
    const initial = initialValues();
    const grads = gradientSequence(scenario.frozenAt);
    const expected = torchHistory(title);
    const before = tf.memory().numTensors;
    assertClose(runOurs(scenario, grads, initial), expected, 2e-6);
    assert.equal(tf.memory().numTensors, before, "optimizer leaked tensors");
  });
}

// Backend torch runs SGD as one TorchSgdStep kernel per parameter (kernel-lib/engine/torch/sgd-step.ts):
// the same torch.optim histories must come out.
for (const [title, scenario] of Object.entries(SCENARIOS)) {
  if (scenario.optimizer !== "SGD") continue;
  test(`${title} matches torch.optim over ${STEPS} steps on backend torch`, { skip: torchMissing() }, async (t) => {
    if (!torchBackendOrSkip()) return t.skip("no libtorch on this machine");
    await tf.setBackend("torch");
    try {
      const before = tf.memory().numTensors;
      assertClose(runOurs(scenario, grads(scenario), initialValues()), torchHistory(title), 2e-6);
      assert.equal(tf.memory().numTensors, before, "optimizer leaked tensors");
    } finally {
      await tf.setBackend("cpu");
    }
  });
}

function grads(scenario: Scenario): Array<Record<string, number[]>> {
  return gradientSequence(scenario.frozenAt);
}

test("optimizer state follows parameter names, so a reordered parameter list keeps each momentum", () => {
  const initial = initialValues();
  const grads = gradientSequence();
  const make = (order: string[]) => order.map((name) => [name, tf.tidy(() => tf.variable(tf.tensor(initial[name], SHAPES[name])))] as [string, tf.Variable]);
  const names = Object.keys(SHAPES);
  const first = make(names);
  const optimizer = new SGD(first, { lr: 0.1, momentum: 0.9 });
  const applyStep = (grad: Record<string, number[]>, opt: SGD) => {
    const tensors = Object.fromEntries(Object.entries(grad).map(([n, v]) => [n, tf.tensor(v, SHAPES[n])]));
    opt.step(tensors);
    tf.dispose(Object.values(tensors));
  };
  applyStep(grads[0], optimizer);
  applyStep(grads[1], optimizer);
  // A second optimizer over the same values in reverse order, restored from the first's state.
  const reversed = make([...names].reverse());
  first.forEach(([name, variable]) => reversed.find(([n]) => n === name)![1].assign(variable));
  const restored = new SGD(reversed, { lr: 0.1, momentum: 0.9 });
  assert.throws(() => restored.loadStateDict(optimizer.stateDict()), /different parameters/);
  const sameOrder = new SGD([...reversed].sort((a, b) => names.indexOf(a[0]) - names.indexOf(b[0])), { lr: 0.1, momentum: 0.9 });
  sameOrder.loadStateDict(optimizer.stateDict());
  applyStep(grads[2], optimizer);
  applyStep(grads[2], sameOrder);
  for (const [name, variable] of first) {
    const other = reversed.find(([n]) => n === name)![1];
    assert.deepEqual(Array.from(other.dataSync()), Array.from(variable.dataSync()), name);
  }
  [optimizer, restored, sameOrder].forEach((o) => o.dispose());
  [...first, ...reversed].forEach(([, v]) => v.dispose());
});

test("bad optimizer input gets a clear error", () => {
  const variable = tf.variable(tf.zeros([2]));
  assert.throws(() => new SGD([["w", variable]], { lr: -1 }), /invalid learning rate/);
  assert.throws(() => new SGD([["w", variable]], { lr: 0.1, nesterov: true }), /nesterov needs momentum/);
  const optimizer = new SGD([["w", variable]], { lr: 0.1 });
  const grad = tf.zeros([2]);
  assert.throws(() => optimizer.step({ v: grad }), /"v", which is in no parameter group/);
  assert.throws(() => parameterGroups([["w", variable]], [{ match: "fc." }]), /matches no parameter/);
  grad.dispose();
  variable.dispose();
});
