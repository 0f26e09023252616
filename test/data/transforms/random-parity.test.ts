/**
 * Whole-transform parity of the random transforms with torchvision 0.14 (ColorJitter, RandAugment, and
 * the ImageNet and CIFAR training pipelines: RandomResizedCrop / RandomCrop + flip + Normalize): Python runs the real
 * transform under torch seeds and records every random draw it makes; our transform then runs with a
 * generator that replays exactly those draws (failing if it asks for a different draw), and the outputs
 * must agree within 2/255 on average. This checks what the per-operation parity tests cannot: the draw
 * order, the op table, the magnitude bins and signs, and how the ops are chained.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { decodeImage } from "../../../kernel-lib/data/decode-image";
import { Image } from "../../../kernel-lib/data/image";
import { crop } from "../../../kernel-lib/data/transforms/crop";
import { ToTensor } from "../../../kernel-lib/data/transforms/to-tensor";
import { ColorJitter, type ColorJitterOptions } from "../../../kernel-lib/data/transforms/color-jitter";
import { RandAugment, RAND_AUGMENT_OPS, randAugmentMagnitude } from "../../../kernel-lib/data/transforms/rand-augment";
import { Compose } from "../../../kernel-lib/data/transforms/compose";
import { Normalize } from "../../../kernel-lib/data/transforms/normalize";
import type { PaddingMode } from "../../../kernel-lib/data/transforms/pad";
import { RandomCrop } from "../../../kernel-lib/data/transforms/random-crop";
import { RandomHorizontalFlip } from "../../../kernel-lib/data/transforms/random-horizontal-flip";
import { RandomResizedCrop } from "../../../kernel-lib/data/transforms/random-resized-crop";
import { READ_IMAGE_AND_SPEC, runPython, runPythonOnImage, torchvisionMissing } from "../python-reference";
import { ScriptedGenerator, type RecordedDraw } from "../scripted-generator";

const skip = torchvisionMissing();
const FILE = path.resolve(__dirname, "../../../data/hymenoptera-sample/train/bees/16838648_415acd9e3f.jpg");

/** Runs each trial under torch.manual_seed(seed), recording the draws; outputs float32 HWC in [0, 1]. */
const SCRIPT = READ_IMAGE_AND_SPEC + `
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
draws = []
# Every random call the transforms make, in order, with its range: the replay checks both.
real_randint, real_randperm, real_rand, real_uniform = torch.randint, torch.randperm, torch.rand, torch.Tensor.uniform_
def recording_randint(*args, **kwargs):
    value = real_randint(*args, **kwargs)
    bounds = args if 'size' in kwargs else args[:-1]  # randint(high, size), randint(low, high, size) or size=...
    low, high = (0, bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])
    draws.append({'kind': 'randint', 'low': int(low), 'high': int(high), 'value': int(value.item())})
    return value
def recording_randperm(n, **kwargs):
    value = real_randperm(n, **kwargs)
    draws.append({'kind': 'randperm', 'n': int(n), 'value': [int(i) for i in value]})
    return value
def recording_rand(*args, **kwargs):
    value = real_rand(*args, **kwargs)
    draws.append({'kind': 'random', 'value': float(value.item())})
    return value
def recording_uniform(self, low=0.0, high=1.0, **kwargs):
    value = real_uniform(self, low, high, **kwargs)
    draws.append({'kind': 'uniform', 'low': float(low), 'high': float(high), 'value': float(value.item())})
    return value
torch.randint, torch.randperm, torch.rand, torch.Tensor.uniform_ = recording_randint, recording_randperm, recording_rand, recording_uniform
outputs, recorded = [], []
for trial in spec['trials']:
    torch.manual_seed(trial['seed'])
    draws = []
    if trial['kind'] == 'jitter':
        o = trial['options']
        t = T.ColorJitter(o.get('brightness', 0), o.get('contrast', 0), o.get('saturation', 0), o.get('hue', 0))
        x = t(F.to_tensor(img) if trial['tensor'] else img)
    elif trial['kind'] == 'imagenet_train':
        x = T.Compose([T.RandomResizedCrop(trial['size'], scale=trial['scale']), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(trial['mean'], trial['std'])])(img)
    elif trial['kind'] == 'cifar_train':
        x = T.Compose([T.RandomCrop(trial['size'], padding=trial['padding'], padding_mode=trial['mode']), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(trial['mean'], trial['std'])])(img)
    else:
        x = T.RandAugment(num_ops=trial['numOps'], magnitude=trial['magnitude'], num_magnitude_bins=trial['bins'])(img)
    if isinstance(x, Image.Image): x = F.to_tensor(x)
    outputs.append(x.permute(1, 2, 0).contiguous().numpy().astype('<f4').tobytes())
    recorded.append(draws)
header = json.dumps(recorded).encode()
sys.stdout.buffer.write(struct.pack('<I', len(header)) + header + b''.join(outputs))
`;

type Trial =
  | { kind: "jitter"; seed: number; tensor: boolean; options: ColorJitterOptions }
  | { kind: "randaugment"; seed: number; numOps: number; magnitude: number; bins: number }
  | { kind: "imagenet_train"; seed: number; size: number; scale: [number, number]; mean: number[]; std: number[] }
  | { kind: "cifar_train"; seed: number; size: number; padding: number; mode: PaddingMode; mean: number[]; std: number[] };

let image: Image;
before(async () => {
  image = crop(await decodeImage(FILE), 40, 60, 96, 120);
});

function reference(trials: Trial[], input: Image = image): { draws: RecordedDraw[][]; outputs: Float32Array[] } {
  const out = runPythonOnImage(SCRIPT, input, { trials });
  const jsonLength = out.readUInt32LE(0);
  const draws = JSON.parse(out.subarray(4, 4 + jsonLength).toString()) as RecordedDraw[][];
  const body = out.subarray(4 + jsonLength);
  // Outputs differ in size between kinds of trial: each one is the size our transform produces.
  const sizes = trials.map((t) => (t.kind === "imagenet_train" || t.kind === "cifar_train" ? t.size * t.size * 3 : input.data.length));
  assert.equal(body.length, sizes.reduce((a, b) => a + b, 0) * 4, "one output per trial");
  let offset = 0;
  const outputs = sizes.map((count) => {
    const output = new Float32Array(body.buffer.slice(body.byteOffset + offset * 4, body.byteOffset + (offset + count) * 4));
    offset += count;
    return output;
  });
  return { draws, outputs };
}

function meanDifference(ours: Image, expected: Float32Array): number {
  const actual = ours.pixelType === "float32" ? ours.data : Float32Array.from(ours.data, (v) => v / 255);
  assert.equal(actual.length, expected.length);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i] - expected[i]);
  return sum / actual.length;
}

test("ColorJitter with torchvision's drawn order and factors matches torchvision (PIL and tensor inputs)", { skip }, () => {
  const configs: ColorJitterOptions[] = [
    { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
    { brightness: [0.5, 1.5], saturation: 0.8, hue: 0.3 },
    { contrast: 0.9, hue: 0.05 },
  ];
  const trials: Trial[] = [];
  configs.forEach((options, c) => {
    for (let seed = 0; seed < 4; seed++) for (const tensor of [false, true]) trials.push({ kind: "jitter", seed: 100 * c + seed, tensor, options });
  });
  const { draws, outputs } = reference(trials);
  const asFloat = new ToTensor().apply(image);
  trials.forEach((trial, i) => {
    if (trial.kind !== "jitter") return;
    const generator = new ScriptedGenerator(draws[i]);
    const ours = new ColorJitter(trial.options).apply(trial.tensor ? asFloat : image, generator);
    assert.equal(generator.remaining, 0, `trial ${i}: torchvision drew more than we used`);
    const diff = meanDifference(ours, outputs[i]);
    assert.ok(diff <= 2 / 255, `ColorJitter ${JSON.stringify(trial.options)} seed ${trial.seed} ${trial.tensor ? "tensor" : "PIL"}: mean |diff| ${(diff * 255).toFixed(3)}/255`);
  });
});

test("RandAugment with torchvision's drawn ops and signs matches torchvision's forward", { skip }, () => {
  const configs = [
    { numOps: 2, magnitude: 9, bins: 31 },
    { numOps: 3, magnitude: 5, bins: 9 },
    { numOps: 2, magnitude: 30, bins: 31 },
  ];
  const trials: Trial[] = [];
  configs.forEach((config, c) => {
    for (let seed = 0; seed < 10; seed++) trials.push({ kind: "randaugment", seed: 100 * c + seed, ...config });
  });
  const { draws, outputs } = reference(trials);
  const opsSeen = new Set<number>();
  trials.forEach((trial, i) => {
    if (trial.kind !== "randaugment") return;
    const generator = new ScriptedGenerator(draws[i]);
    const ours = new RandAugment({ numOps: trial.numOps, magnitude: trial.magnitude, numMagnitudeBins: trial.bins }).apply(image, generator);
    assert.equal(generator.remaining, 0, `trial ${i}: torchvision drew more than we used`);
    for (const d of draws[i]) if (d.kind === "randint" && d.high === RAND_AUGMENT_OPS.length) opsSeen.add(d.value);
    const diff = meanDifference(ours, outputs[i]);
    const ops = draws[i].flatMap((d) => (d.kind === "randint" && d.high === RAND_AUGMENT_OPS.length ? [RAND_AUGMENT_OPS[d.value]] : []));
    assert.ok(diff <= 2 / 255, `RandAugment ${JSON.stringify(trial)} ops ${ops.join(", ")}: mean |diff| ${(diff * 255).toFixed(3)}/255`);
  });
  assert.ok(opsSeen.size >= 10, `only ${opsSeen.size} of 14 ops were exercised; pick other seeds`);
});

test("RandAugment magnitudes equal torchvision's _augmentation_space for every op, bin and bin count", { skip }, () => {
  const size: [number, number] = [96, 120];
  const binCounts = [31, 9, 5, 2];
  const script = `
import json, torch
from torchvision.transforms import RandAugment
out = {}
for bins in ${JSON.stringify(binCounts)}:
    space = RandAugment()._augmentation_space(bins, (${size[0]}, ${size[1]}))
    out[bins] = {name: [[float(v) for v in m] if m.ndim > 0 else [0.0] * bins, bool(signed)] for name, (m, signed) in space.items()}
print(json.dumps(out))`;
  const reference = JSON.parse(runPython(script).toString()) as Record<string, Record<string, [number[], boolean]>>;
  for (const bins of binCounts) {
    assert.deepEqual(Object.keys(reference[bins]), [...RAND_AUGMENT_OPS], "same ops in the same order (the op index is drawn)");
    for (const op of RAND_AUGMENT_OPS) {
      const [magnitudes, signed] = reference[bins][op];
      magnitudes.forEach((expected, index) => {
        const ours = randAugmentMagnitude(op, index, bins, size[0], size[1]);
        assert.equal(ours.signed, signed, `${op}: signed`);
        // torchvision keeps magnitudes in float32.
        assert.ok(Math.abs(ours.magnitude - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `${op} bin ${index} of ${bins}: ${ours.magnitude} vs torchvision ${expected}`);
      });
    }
  }
});

test("training pipelines with torchvision's draws: RandomResizedCrop + flip + Normalize, RandomCrop (each pad mode) + flip + Normalize", { skip }, () => {
  const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const cifar = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] };
  const trials: Trial[] = [];
  // scale [3, 4] never fits the image: the 10 tries fail and the centered fallback is used.
  for (const scale of [[0.08, 1], [0.5, 1], [3, 4]] as [number, number][]) {
    for (let seed = 0; seed < 6; seed++) trials.push({ kind: "imagenet_train", seed, size: 64, scale, ...imagenet });
  }
  for (const mode of ["constant", "edge", "reflect", "symmetric"] as PaddingMode[]) {
    for (let seed = 0; seed < 6; seed++) trials.push({ kind: "cifar_train", seed, size: 32, padding: 4, mode, ...cifar });
  }
  // The CIFAR pipeline runs on a 32x32 image, as on CIFAR-10.
  const small = crop(image, 20, 30, 32, 32);
  const imagenetTrials = trials.filter((t) => t.kind === "imagenet_train");
  const cifarTrials = trials.filter((t) => t.kind === "cifar_train");
  const check = (list: Trial[], input: Image): void => {
    const { draws, outputs } = reference(list, input);
    list.forEach((trial, i) => {
      let ours: Image;
      const generator = new ScriptedGenerator(draws[i]);
      if (trial.kind === "imagenet_train") {
        ours = new Compose([new RandomResizedCrop(trial.size, { scale: trial.scale }), new RandomHorizontalFlip(), new ToTensor(), new Normalize(trial.mean, trial.std)]).apply(input, generator);
      } else if (trial.kind === "cifar_train") {
        ours = new Compose([new RandomCrop(trial.size, { padding: trial.padding, paddingMode: trial.mode }), new RandomHorizontalFlip(), new ToTensor(), new Normalize(trial.mean, trial.std)]).apply(input, generator);
      } else {
        return;
      }
      assert.equal(generator.remaining, 0, `trial ${i}: torchvision drew more than we used`);
      // Normalized values span about 4.5 units instead of 1: compare in that range's 2/255.
      const diff = meanDifference(ours, outputs[i]);
      assert.ok(diff <= (2 / 255) / Math.min(...trial.std), `${JSON.stringify(trial)}: mean |diff| ${(diff * 255).toFixed(3)}/255 after Normalize`);
    });
  };
  check(imagenetTrials, image);
  check(cifarTrials, small);
});
