/**
 * summary(model, inputShape): rows, output shapes and parameter totals equal what PyTorch's forward
 * hooks and `p.numel()` give for the same model (the CIFAR surgery, first 6 children frozen); it
 * renders as an HTML bundle in the notebook kernel and as text in a terminal; it leaves the model's
 * mode, BatchNorm statistics and tensor count as they were.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { resnet18, Conv2d, Identity, Linear, freezeFirstChildren, summary, type ResNet } from "../../kernel-lib/models";
import type { MimeBundle } from "../../kernel-lib/plots/display";
import { runPython, torchvisionMissing } from "../data/python-reference";

const TORCH_ROWS = String.raw`
import json, torch, torchvision
from torch import nn
model = torchvision.models.resnet18(num_classes=10)
model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
model.maxpool = nn.Identity()
for child in list(model.children())[:6]:
    for p in child.parameters(): p.requires_grad = False
shapes = {}
for name, module in model.named_modules():
    module.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, [o.shape[0], o.shape[2], o.shape[3], o.shape[1]] if o.dim() == 4 else list(o.shape)))
model.eval()
with torch.no_grad(): model(torch.zeros(1, 3, 32, 32))
rows = [{"name": name, "type": type(module).__name__, "output": shapes.get(name),
         "params": sum(p.numel() for p in module.parameters()),
         "trainable": sum(p.numel() for p in module.parameters() if p.requires_grad)}
        for name, module in model.named_modules() if name == "" or name.count(".") < 3]
print(json.dumps(rows))
`;

interface TorchRow {
  name: string;
  type: string;
  output: number[] | null;
  params: number;
  trainable: number;
}

function cifarModel(): ResNet {
  const model = resnet18();
  model.fc = new Linear(512, 10);
  model.conv1 = new Conv2d(3, 64, 3, { stride: 1, padding: 1, bias: false });
  model.maxpool = new Identity();
  freezeFirstChildren(model, 6);
  return model;
}

test("summary rows equal PyTorch's forward-hook shapes and parameter counts", { skip: torchvisionMissing() }, async () => {
  await useWasmBackend();
  const expected = JSON.parse(runPython(TORCH_ROWS).toString("utf8")) as TorchRow[];
  const model = cifarModel();
  try {
    const table = summary(model, [32, 32, 3]);
    const actual = table.rows.map((row) => ({ name: row.name, type: row.type, output: row.outputShape ?? null, params: row.parameters, trainable: row.trainableParameters }));
    assert.deepEqual(actual, expected);
    assert.equal(table.totalParameters, 11_173_962);
    assert.equal(table.trainableParameters, expected[0]!.trainable);
    assert.deepEqual(table.outputShape, [1, 10]);
    console.log(table.toString().split("\n").slice(0, 8).join("\n"));
  } finally {
    model.dispose();
  }
});

test("summary leaves the mode, BatchNorm statistics and tensor count unchanged", async () => {
  await useWasmBackend();
  const model = cifarModel();
  try {
    model.train();
    const before = tf.memory().numTensors;
    const runningMean = model.bn1.runningMean.dataSync().slice();
    summary(model, [2, 32, 32, 3]);
    assert.equal(tf.memory().numTensors, before);
    assert.ok(model.namedModules().every(([, module]) => module.training), "train mode must be restored");
    assert.deepEqual(model.bn1.runningMean.dataSync(), runningMean);
    assert.equal(model.bn1.numBatchesTracked.dataSync()[0], 0);
    assert.ok(!Object.prototype.hasOwnProperty.call(model.layer1, "forward"), "the forward wrappers must be removed");
    assert.throws(() => summary(model, [32, 32]), /summary: inputShape must be \[batch, height, width, channels\]/);
  } finally {
    model.dispose();
  }
});

test("summary shows an HTML table in the notebook kernel and text in a terminal", async () => {
  await useWasmBackend();
  const model = cifarModel();
  const globals = globalThis as { __kernelLibDisplay?: (bundle: MimeBundle) => void };
  try {
    const table = summary(model, [32, 32, 3], { depth: 1 });
    assert.deepEqual(table.rows.map((row) => row.name), ["", "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]);

    const shown: MimeBundle[] = [];
    globals.__kernelLibDisplay = (bundle) => shown.push(bundle);
    table.show();
    delete globals.__kernelLibDisplay;
    assert.equal(shown.length, 1);
    const html = shown[0]!["text/html"] ?? "";
    assert.match(html, /^<table/);
    assert.match(html, /<td[^>]*>layer4 \(Sequential\)<\/td><td[^>]*>\[1, 4, 4, 512\]<\/td><td[^>]*>8,393,728<\/td><td[^>]*>True<\/td>/);
    assert.match(html, /<td[^>]*>layer1 \(Sequential\)<\/td><td[^>]*>\[1, 32, 32, 64\]<\/td><td[^>]*>147,968<\/td><td[^>]*>False<\/td>/);
    assert.match(html, /Trainable params: 10,498,570/);

    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
    try {
      table.show();
    } finally {
      process.stdout.write = write;
    }
    const text = written.join("");
    assert.doesNotMatch(text, /</);
    assert.match(text, /layer4 \(Sequential\)\s+\[1, 4, 4, 512\]\s+8,393,728\s+True/);
    assert.match(text, /Total params: 11,173,962\nTrainable params: 10,498,570\nNon-trainable params: 675,392/);
  } finally {
    delete globals.__kernelLibDisplay;
    model.dispose();
  }
});
