import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initTeacher } from "../../../kernel-lib/train/methods/ema";
import { fixMatchStep } from "../../../kernel-lib/train/methods/fixmatch";
import { torchvisionMissing } from "../../data/python-reference";
import { RecordingSgd, TinyClassifier, snapshot } from "./tiny-classifier";
import { exportWeights, maxDifference, runTorchReference, tensorArray, type NamedArrays } from "./torch-tiny-reference";

tf.setBackend("cpu");

const CLASSES = 3;
const CHANNELS = 4;
const PARAMETERS_AND_BUFFERS = ["conv.weight", "bn.weight", "bn.bias", "fc.weight", "fc.bias", "bn.running_mean", "bn.running_var"];

function batches(seed: number, unlabeledCount = 8): { labeled: [tf.Tensor4D, tf.Tensor1D]; unlabeled: [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D] } {
  return {
    labeled: [tf.randomNormal([2, 5, 5, 3], 0, 1, "float32", seed) as tf.Tensor4D, tf.tensor1d([0, 2], "int32")],
    unlabeled: [
      tf.randomNormal([unlabeledCount, 5, 5, 3], 0, 1, "float32", seed + 1) as tf.Tensor4D,
      tf.randomNormal([unlabeledCount, 5, 5, 3], 0, 1, "float32", seed + 2) as tf.Tensor4D,
      tf.tensor1d(Array.from({ length: unlabeledCount }, (_, i) => i % CLASSES), "int32"),
    ],
  };
}

test("one FixMatch step matches PyTorch (loss, mask rate, pseudo-label accuracy, SGD update)", { skip: torchvisionMissing() }, () => {
  const model = new TinyClassifier(CLASSES, CHANNELS, 13);
  model.fcWeight.assign(tf.mul(model.fcWeight, 6)); // confident enough that some, not all, pass the threshold
  const { labeled, unlabeled } = batches(3);
  const threshold = 0.6;
  const request = {
    channels: CHANNELS, classes: CLASSES, lr: 0.05, threshold, lambda: 2, model: exportWeights(model),
    xl: tensorArray(labeled[0]), xl_shape: labeled[0].shape, y: tensorArray(labeled[1]),
    xw: tensorArray(unlabeled[0]), xw_shape: unlabeled[0].shape, xs: tensorArray(unlabeled[1]), xs_shape: unlabeled[1].shape, truth: tensorArray(unlabeled[2]),
  };
  const reference = runTorchReference<{ model: NamedArrays; loss: number; classLoss: number; unlabeledLoss: number; maskRate: number; pseudoAccuracy: number | null; weakAccuracy: number }>(request, String.raw`
m = model_from(request["model"])
xl = images("xl"); n = xl.shape[0]; xw = images("xw"); u = xw.shape[0]
y = torch.tensor(request["y"], dtype=torch.long); truth = torch.tensor(request["truth"], dtype=torch.long)
logits = forward(m, torch.cat([xl, xw, images("xs")]), training=True)
class_loss = F.cross_entropy(logits[:n], y)
probs = torch.softmax(logits[n:n + u].detach(), dim=1)
confidence, pseudo = probs.max(dim=1)
mask = (confidence >= request["threshold"]).double()
unlabeled_loss = (F.cross_entropy(logits[n + u:], pseudo, reduction="none") * mask).mean()
loss = class_loss + request["lambda"] * unlabeled_loss
loss.backward()
sgd(m, request["lr"])
correct = (pseudo == truth).double()
result = {"model": export(m), "loss": loss.item(), "classLoss": class_loss.item(), "unlabeledLoss": unlabeled_loss.item(),
          "maskRate": mask.mean().item(), "weakAccuracy": correct.mean().item(),
          "pseudoAccuracy": (correct * mask).sum().item() / mask.sum().item() if mask.sum() > 0 else None}
`);
  assert.ok(reference.maskRate > 0 && reference.maskRate < 1, `fixture must mix confident and unconfident images (mask rate ${reference.maskRate})`);
  const optimizer = new RecordingSgd(model.namedParameters(), 0.05);
  const result = fixMatchStep({ model, optimizer, labeled, unlabeled, step: 0, config: { threshold, unlabeledWeight: 2 } });
  assert.ok(Math.abs(result.loss - reference.loss) < 1e-4, `loss ${result.loss} vs torch ${reference.loss}`);
  assert.ok(Math.abs(result.classLoss - reference.classLoss) < 1e-5);
  assert.ok(Math.abs(result.unlabeledLoss - reference.unlabeledLoss) < 1e-4);
  assert.equal(result.maskRate, reference.maskRate);
  assert.ok(Math.abs(result.weakPredictionAccuracy! - reference.weakAccuracy) < 1e-6);
  assert.ok(Math.abs(result.pseudoLabelAccuracy! - reference.pseudoAccuracy!) < 1e-6);
  assert.ok(maxDifference(model, reference.model, PARAMETERS_AND_BUFFERS) < 2e-5);
  tf.dispose([...labeled, ...unlabeled]);
  model.dispose();
});

test("threshold masking: threshold 1 masks every unlabeled image, so only the labeled loss trains", () => {
  const model = new TinyClassifier(CLASSES, CHANNELS, 14);
  const { labeled, unlabeled } = batches(20);
  const result = fixMatchStep({ model, optimizer: new RecordingSgd(model.namedParameters(), 0.05), labeled, unlabeled, step: 0, config: { threshold: 1 } });
  assert.equal(result.maskRate, 0);
  assert.equal(result.unlabeledLoss, 0);
  assert.equal(result.pseudoLabelAccuracy, null);
  assert.ok(Math.abs(result.loss - result.classLoss) < 1e-7);
  const everything = fixMatchStep({ model, optimizer: new RecordingSgd(model.namedParameters(), 0.05), labeled, unlabeled: [unlabeled[0], unlabeled[1]], step: 1, config: { threshold: 0 } });
  assert.equal(everything.maskRate, 1);
  assert.ok(everything.unlabeledLoss > 0);
  assert.equal(everything.weakPredictionAccuracy, null); // no true labels given
  tf.dispose([...labeled, ...unlabeled]);
  model.dispose();
});

test("fixMatchStep keeps the tensor count flat and moves the EMA model only by the EMA", () => {
  const model = new TinyClassifier(CLASSES, CHANNELS, 15);
  const emaModel = new TinyClassifier(CLASSES, CHANNELS, 16);
  initTeacher(model, emaModel);
  const optimizer = new RecordingSgd(model.namedParameters(), 0.05);
  const { labeled, unlabeled } = batches(30);
  fixMatchStep({ model, optimizer, labeled, unlabeled, step: 0, emaModel });
  const count = tf.memory().numTensors;
  for (let step = 1; step < 5; step++) {
    const emaBefore = snapshot(emaModel.namedParameters());
    fixMatchStep({ model, optimizer, labeled, unlabeled, step, emaModel, config: { threshold: 0.4 } });
    assert.equal(tf.memory().numTensors, count, `tensor count changed at step ${step}`);
    const decay = 1 - 1 / (step + 1);
    const modelAfter = snapshot(model.namedParameters());
    const [name, variable] = emaModel.namedParameters()[3];
    const got = variable.dataSync();
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - (decay * emaBefore.get(name)![i] + (1 - decay) * modelAfter.get(name)![i])) < 1e-6);
  }
  assert.ok(optimizer.seenNames.every((names) => !names.some((name) => name.startsWith("bn.running"))));
  tf.dispose([...labeled, ...unlabeled]);
  model.dispose();
  emaModel.dispose();
});

test("fixMatchStep names mismatched views", () => {
  const model = new TinyClassifier(CLASSES, CHANNELS, 17);
  const { labeled, unlabeled } = batches(40);
  const other = tf.zeros([7, 5, 5, 3]) as tf.Tensor4D;
  assert.throws(() => fixMatchStep({ model, optimizer: new RecordingSgd(model.namedParameters(), 0.1), labeled, unlabeled: [unlabeled[0], other], step: 0 }), /weak \[8,5,5,3\] and strong \[7,5,5,3\] views differ/);
  tf.dispose([...labeled, ...unlabeled, other]);
  model.dispose();
});
