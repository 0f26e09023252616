/**
 * exportModel from a module tree: the module structure decides the stem (a CIFAR 3x3 stride-1 conv
 * and an Identity max-pool here), both exports are reloaded and checked against the module's forward
 * (PyTorch's logits for the batch), and a non-ResNet tree gets an error that says what is supported.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { useWasmBackend } from "../../kernel-lib/env/wasm-backend";
import { exportModel } from "../../kernel-lib/export/export-model";
import { graphFromModule, type ForwardModule } from "../../kernel-lib/export/module-graph";
import { torchvisionMissing } from "../data/python-reference";
import { disposeFixture, torchResNetFixture, type TorchResNetFixture } from "./torch-resnet-fixture";

const skip = torchvisionMissing();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "export-model-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

class Conv2d {
  constructor(readonly stride: number | number[], readonly padding: number | number[]) {}
}
class Identity {}
class Placeholder {}

/** A stand-in with the kernel-lib/models contract whose forward is PyTorch's answer for the fixture batch. */
class ResNet implements ForwardModule {
  evalCalls = 0;
  constructor(private readonly fixture: TorchResNetFixture, private readonly stem: Conv2d, private readonly maxpool: object) {}
  namedChildren(): [string, object][] {
    return [
      ["conv1", this.stem],
      ["bn1", new Placeholder()],
      ["relu", new Placeholder()],
      ["maxpool", this.maxpool],
      ["layer1", new Placeholder()],
      ["avgpool", new Placeholder()],
      ["fc", new Placeholder()],
    ];
  }
  stateDict(): Map<string, tf.Tensor> {
    return this.fixture.stateDict;
  }
  forward(images: tf.Tensor4D): tf.Tensor {
    assert.equal(images, this.fixture.images, "the stand-in only knows PyTorch's logits for the fixture batch");
    return this.fixture.logits.clone();
  }
  eval(): this {
    this.evalCalls++;
    return this;
  }
}

test("exportModel writes TF.js + ONNX for a CIFAR-stem module tree and both match its forward", { skip }, async () => {
  await useWasmBackend();
  const fixture = torchResNetFixture({ layers: [1, 1, 1, 1], classes: 10, imageSize: 16, batch: 2, cifarStem: true, seed: 4 });
  const model = new ResNet(fixture, new Conv2d([1, 1], [1, 1]), new Identity());
  const before = tf.memory().numTensors;
  const exported = await exportModel(model, scratch, { inputShape: fixture.inputShape, images: fixture.images });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(model.evalCalls, 1);
  assert.ok(fs.existsSync(path.join(scratch, "tfjs", "model.json")));
  assert.ok(fs.existsSync(exported.onnxFile));
  for (const check of exported.checks) {
    console.log(`${check.format}: max |Δ| ${check.maxAbsDiff.toExponential(2)}`);
    assert.ok(check.ok, `${check.format} differs by ${check.maxAbsDiff}`);
  }
  assert.equal(exported.graph.nodes.some((node) => node.op === "maxPool"), false);

  // The same weights with a module tree that claims an ImageNet-style max-pool must NOT match:
  // the structure really comes from the modules.
  const wrong = await exportModel(new ResNet(fixture, new Conv2d(1, 1), new Placeholder()), path.join(scratch, "wrong"), {
    inputShape: fixture.inputShape,
    images: fixture.images,
  });
  assert.equal(wrong.checks.every((check) => !check.ok), true);
  disposeFixture(fixture);
});

test("graphFromModule names the missing ResNet children", () => {
  const notAResNet = { namedChildren: (): [string, object][] => [["features", {}]], stateDict: () => new Map<string, tf.Tensor>() };
  assert.throws(() => graphFromModule(notAResNet, { inputShape: [32, 32, 3] }), /no conv1, bn1, layer1, fc child; only torchvision-style ResNets/);
});
