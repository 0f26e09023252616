/**
 * classify(model, image): the bundled ImageNet names are torchvision's, and on a real photo a
 * PyTorch-written checkpoint gives torchvision's top-5 (same indices, same probabilities) through
 * `ResNet18_Weights.IMAGENET1K_V1.transforms()` on the PIL image.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { classify, IMAGENET_CLASSES, resnet18, Linear } from "../../kernel-lib/models";
import { runPython, torchvisionMissing } from "../data/python-reference";
import { temporaryDir } from "./torch-reference";

const PHOTO = path.resolve("data/hymenoptera-sample/train/bees/2330918208_8074770c20.jpg");

const TORCH_TOP5 = String.raw`
import json, os, sys, torch, torchvision
from PIL import Image
from torchvision.models._meta import _IMAGENET_CATEGORIES
opts = json.loads(sys.argv[1])
torch.manual_seed(11)
model = torchvision.models.resnet18()
with torch.no_grad():
    # Spread-out logits (a randomly initialised head is nearly uniform), so the top 5 are separated.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2); m.running_var.uniform_(0.5, 2.0)
    model.fc.weight.mul_(4)  # top-1 about 0.54, top-5 about 0.02
torch.save(model.state_dict(), os.path.join(opts["dir"], "model.pth"))
transform = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.transforms()
model.eval()
with torch.no_grad():
    probabilities = model(transform(Image.open(opts["photo"]).convert("RGB")).unsqueeze(0)).softmax(1)[0]
top = probabilities.topk(5)
print(json.dumps({"index": top.indices.tolist(), "probability": top.values.tolist(), "categories": _IMAGENET_CATEGORIES}))
`;

const skip = torchvisionMissing();

test("classify gives torchvision's top-5 labels, indices and probabilities on a photo", { skip }, async () => {
  await useWasmBackend();
  const dir = temporaryDir("classify");
  try {
    const expected = JSON.parse(runPython(TORCH_TOP5, undefined, [JSON.stringify({ dir, photo: PHOTO })]).toString("utf8")) as {
      index: number[];
      probability: number[];
      categories: string[];
    };
    assert.deepEqual(IMAGENET_CLASSES, expected.categories, "the bundled names must be torchvision's, in its order");
    const model = await resnet18({ weights: path.join(dir, "model.pth") });
    try {
      const before = tf.memory().numTensors;
      const top5 = await classify(model, PHOTO, { topk: 5 });
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(top5.map((p) => p.index), expected.index);
      assert.deepEqual(top5.map((p) => p.label), expected.index.map((i) => expected.categories[i]));
      const worst = Math.max(...top5.map((p, i) => Math.abs(p.probability - expected.probability[i]!)));
      console.log(`  top-5 ${top5.map((p) => `${p.label} ${p.probability.toFixed(4)}`).join(", ")}; max |p - torch| ${worst.toExponential(2)}`);
      // Not 1e-6: PIL's and sharp's JPEG decoders and uint8 resize rounding differ by a level here and there.
      assert.ok(worst <= 2e-3, `probabilities differ from torchvision's by ${worst}`);
    } finally {
      model.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("classify explains bad arguments and checks class names against the model's outputs", async () => {
  await useWasmBackend();
  const model = resnet18();
  model.fc = new Linear(512, 2);
  try {
    await assert.rejects(classify(model, PHOTO, { topk: 0 }), /classify: topk must be an integer in 1\.\.1000/);
    await assert.rejects(classify(model, 42 as unknown as string), /classify: image must be a file path or a decoded Image/);
    await assert.rejects(classify(model, PHOTO), /the model has 2 outputs but 1000 class names/);
    const [best] = await classify(model, PHOTO, { classes: ["ants", "bees"], topk: 1 });
    assert.ok(best !== undefined && ["ants", "bees"].includes(best.label) && best.probability >= 0.5);
  } finally {
    model.dispose();
  }
});
