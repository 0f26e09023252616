import { test } from "node:test";
import assert from "node:assert/strict";
import { cifar10Settings, scaledLearningRate, DEFAULT_FULL_ROOT } from "../../kernel-lib/recipes/cifar10-settings";

test("full mode defaults to the tutorial's recipe on the JPEG export: 30 epochs, batch 128, lr 0.1, all images", () => {
  assert.deepEqual(cifar10Settings("full", {}), {
    model: "resnet18", root: DEFAULT_FULL_ROOT, epochs: 30, batchSize: 128, lr: 0.1, trainLimit: undefined, testLimit: undefined,
  });
});

test("full mode reads LAB_CIFAR10_ROOT, LAB_EPOCHS, LAB_BATCH, LAB_MODEL and the limits, scaling lr with the batch", () => {
  const settings = cifar10Settings("full", {
    LAB_CIFAR10_ROOT: "/data/cifar", LAB_EPOCHS: "200", LAB_BATCH: "64", LAB_MODEL: "ResNet34", LAB_TRAIN_LIMIT: "1000", LAB_TEST_LIMIT: "500",
  });
  assert.deepEqual(settings, { model: "resnet34", root: "/data/cifar", epochs: 200, batchSize: 64, lr: 0.05, trainLimit: 1000, testLimit: 500 });
});

test("a bad setting fails with the variable's name and the fix", () => {
  assert.throws(() => cifar10Settings("full", { LAB_EPOCHS: "ten" }), /LAB_EPOCHS="ten" is not a positive whole number; set it like LAB_EPOCHS=10/);
  assert.throws(() => cifar10Settings("full", { LAB_BATCH: "0" }), /LAB_BATCH="0"/);
  assert.throws(() => cifar10Settings("full", { LAB_TRAIN_LIMIT: "2.5" }), /LAB_TRAIN_LIMIT/);
  assert.throws(() => cifar10Settings("full", { LAB_MODEL: "vgg16" }), /LAB_MODEL="vgg16" is not a model of this notebook; use one of resnet18, resnet34/);
});

test("smoke and sample modes ignore the full run's variables and stay small", () => {
  const env = { LAB_EPOCHS: "200", LAB_MODEL: "resnet34", LAB_CIFAR10_ROOT: "/elsewhere" };
  const smoke = cifar10Settings("smoke", env);
  assert.equal(smoke.root, "data/cifar10-sample");
  assert.equal(smoke.epochs, 1);
  assert.ok((smoke.trainLimit ?? Infinity) <= 50);
  assert.equal(cifar10Settings("sample", env).model, "resnet18");
});

test("scaledLearningRate is the linear scaling rule around 0.1 at 128", () => {
  assert.equal(scaledLearningRate(128), 0.1);
  assert.equal(scaledLearningRate(256), 0.2);
  assert.equal(scaledLearningRate(32), 0.025);
});
