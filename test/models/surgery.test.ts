/**
 * The tutorials' model surgery, one TS line per step, checked against torchvision doing the same
 * steps: parameter names, shapes (in TF.js layouts), requires_grad flags, total and trainable
 * counts, and the output shape of a forward pass after each step.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import {
  resnet18,
  resnet34,
  Conv2d,
  Identity,
  Linear,
  freeze,
  unfreeze,
  freezeAllBut,
  freezeFirstChildren,
  parameterCount,
  trainableParameterCount,
  summary,
  type Module,
  type ResNet,
} from "../../kernel-lib/models";
import { runPython, torchvisionMissing } from "../data/python-reference";

/** Each step: torchvision's lines, and the input size (square) its forward pass is checked at. */
const TORCH_STEPS = String.raw`
import json, torch, torchvision
from torch import nn
def tf_shape(p):
    s = list(p.shape)
    return [s[2], s[3], s[1], s[0]] if len(s) == 4 else [s[1], s[0]] if len(s) == 2 else s
def record(label, m, size):
    m.eval()
    seen = {}
    hook = m.layer4.register_forward_hook(lambda mod, i, o: seen.__setitem__("layer4", [o.shape[0], o.shape[2], o.shape[3], o.shape[1]]))
    with torch.no_grad(): out = m(torch.zeros(1, 3, size, size))
    hook.remove()
    return {"label": label, "size": size, "output": list(out.shape), "layer4": seen["layer4"],
            "params": sum(p.numel() for p in m.parameters()),
            "trainable": sum(p.numel() for p in m.parameters() if p.requires_grad),
            "names": [[n, tf_shape(p), p.requires_grad] for n, p in m.named_parameters()]}
steps = []
model = torchvision.models.resnet18(); steps.append(record("resnet18", model, 64))
model.fc = nn.Linear(512, 10); steps.append(record("replace fc", model, 64))
model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False); steps.append(record("3x3 conv1", model, 32))
model.maxpool = nn.Identity(); steps.append(record("maxpool Identity", model, 32))
for p in model.parameters(): p.requires_grad = False
for p in model.fc.parameters(): p.requires_grad = True
steps.append(record("freeze all but fc", model, 32))
for p in model.parameters(): p.requires_grad = True
steps.append(record("unfreeze", model, 32))
for child in list(model.children())[:6]:
    for p in child.parameters(): p.requires_grad = False
steps.append(record("freeze first 6 children", model, 32))
for n, p in model.named_parameters():
    if n.startswith("layer4.") or n.startswith("bn1."): p.requires_grad = False
steps.append(record("freeze layer4 and bn1 too", model, 32))
for n, p in model.named_parameters():
    if n.startswith("layer1."): p.requires_grad = True
steps.append(record("unfreeze layer1", model, 32))
model = torchvision.models.resnet34(); steps.append(record("resnet34", model, 64))
model.fc = nn.Linear(512, 10); steps.append(record("resnet34 replace fc", model, 64))
print(json.dumps(steps))
`;

interface TorchStep {
  label: string;
  size: number;
  output: number[];
  /** NHWC: the CIFAR stem keeps 4x4 at layer4 for 32x32 input, the ImageNet stem would give 1x1. */
  layer4: number[];
  params: number;
  trainable: number;
  names: Array<[string, number[], boolean]>;
}

const skip = torchvisionMissing();

test("each surgery step is one line and gives torchvision's parameters, trainable flags and output shape", { skip }, async () => {
  await useWasmBackend();
  const torchSteps = JSON.parse(runPython(TORCH_STEPS).toString("utf8")) as TorchStep[];
  const before = tf.memory().numTensors;
  let model: ResNet = resnet18();
  // The tutorial's lines, in the tutorial's order; the labels pair them with the Python steps.
  const steps: Array<[string, () => void]> = [
    ["resnet18", () => {}],
    ["replace fc", () => { model.fc = new Linear(512, 10); }],
    ["3x3 conv1", () => { model.conv1 = new Conv2d(3, 64, 3, { stride: 1, padding: 1, bias: false }); }],
    ["maxpool Identity", () => { model.maxpool = new Identity(); }],
    ["freeze all but fc", () => freezeAllBut(model, "fc")],
    ["unfreeze", () => unfreeze(model)],
    ["freeze first 6 children", () => freezeFirstChildren(model, 6)],
    ["freeze layer4 and bn1 too", () => freeze(model, "layer4", "bn1")],
    ["unfreeze layer1", () => unfreeze(model, "layer1")],
    ["resnet34", () => { model = resnet34(); }],
    ["resnet34 replace fc", () => { model.fc = new Linear(512, 10); }],
  ];
  assert.deepEqual(steps.map(([label]) => label), torchSteps.map((step) => step.label));
  const replaced: Module[] = [];
  for (const [index, [label, run]] of steps.entries()) {
    const expected = torchSteps[index]!;
    const previous = model;
    const childrenBefore = previous.children();
    run();
    if (model !== previous) replaced.push(previous);
    else replaced.push(...childrenBefore.filter((child) => !model.children().includes(child)));
    checkStep(label, model, expected);
  }
  model.dispose();
  replaced.forEach((module) => module.dispose());
  assert.equal(tf.memory().numTensors, before, "the test leaks tensors: surgery or the forward passes keep some");
});

function checkStep(label: string, model: ResNet, expected: TorchStep): void {
  const names = model.namedParameters().map(([name, variable]): [string, number[], boolean] => [name, [...variable.shape], variable.trainable]);
  assert.deepEqual(names, expected.names, `${label}: parameter names, shapes or trainable flags differ from torchvision's`);
  assert.equal(parameterCount(model), expected.params, `${label}: parameter count`);
  assert.equal(trainableParameterCount(model), expected.trainable, `${label}: trainable parameter count`);
  const table = summary(model, [1, expected.size, expected.size, 3], { depth: 1 });
  assert.deepEqual(table.outputShape, expected.output, `${label}: output shape at ${expected.size}x${expected.size}`);
  assert.deepEqual(table.rows.find((row) => row.name === "layer4")?.outputShape, expected.layer4, `${label}: layer4 output shape`);
  const output = table.outputShape;
  console.log(`  ${label.padEnd(26)} params ${expected.params.toLocaleString("en-US").padStart(10)}  trainable ${expected.trainable.toLocaleString("en-US").padStart(10)}  output [${output.join(", ")}]  layer4 [${expected.layer4.join(", ")}]`);
}

test("resnet18 has torchvision's 11,689,512 parameters, and bad surgery names are clear errors", () => {
  const model = resnet18();
  try {
    assert.equal(parameterCount(model), 11_689_512);
    assert.throws(() => freeze(model, "layer5"), /freeze: no module or parameter named "layer5".*layer4/);
    assert.throws(() => freezeAllBut(model, "head"), /freezeAllBut: no module or parameter named "head"/);
    assert.throws(() => freezeFirstChildren(model, 11), /count must be an integer in 0\.\.10/);
  } finally {
    model.dispose();
  }
});
