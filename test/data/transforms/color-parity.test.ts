/**
 * Parity of the colour and RandAugment operations with torchvision 0.14 for fixed magnitudes: uint8
 * images against the PIL code path, float32 images against the tensor code path.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { decodeImage } from "../../../kernel-lib/data/decode-image";
import { Image } from "../../../kernel-lib/data/image";
import { crop } from "../../../kernel-lib/data/transforms/crop";
import { ToTensor } from "../../../kernel-lib/data/transforms/to-tensor";
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, adjustSharpness } from "../../../kernel-lib/data/transforms/color";
import { applyRandAugmentOp, RAND_AUGMENT_OPS, randAugmentMagnitude } from "../../../kernel-lib/data/transforms/rand-augment";
import { READ_IMAGE_AND_SPEC, runPythonOnImage, torchvisionMissing } from "../python-reference";

const skip = torchvisionMissing();
const FILE = path.resolve(__dirname, "../../../data/hymenoptera-sample/train/bees/16838648_415acd9e3f.jpg");

const SCRIPT = READ_IMAGE_AND_SPEC + `
import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import _apply_op
tensor = F.to_tensor(img)
out = sys.stdout.buffer
def emit(x):
    if isinstance(x, Image.Image): x = F.to_tensor(x)
    out.write(x.permute(1, 2, 0).contiguous().numpy().astype('<f4').tobytes())
for case in spec['cases']:
    kind, value = case['kind'], case.get('value')
    source = tensor if case['tensor'] else img
    if kind == 'brightness': emit(F.adjust_brightness(source, value))
    elif kind == 'contrast': emit(F.adjust_contrast(source, value))
    elif kind == 'saturation': emit(F.adjust_saturation(source, value))
    elif kind == 'hue': emit(F.adjust_hue(source, value))
    elif kind == 'sharpness': emit(F.adjust_sharpness(source, value))
    else: emit(_apply_op(img, kind, value, interpolation=InterpolationMode.NEAREST, fill=None))
`;

interface Case {
  name: string;
  spec: { kind: string; value?: number; tensor: boolean };
  ours: Image;
}

let image: Image;
before(async () => {
  const full = await decodeImage(FILE);
  image = crop(full, 40, 60, 96, 120);
});

function compare(cases: Case[]): void {
  const reference = runPythonOnImage(SCRIPT, image, { cases: cases.map((c) => c.spec) });
  const count = image.data.length;
  assert.equal(reference.length, cases.length * count * 4);
  cases.forEach((c, index) => {
    const expected = new Float32Array(reference.buffer.slice(reference.byteOffset + index * count * 4, reference.byteOffset + (index + 1) * count * 4));
    const actual = c.ours.pixelType === "float32" ? c.ours.data : Float32Array.from(c.ours.data, (v) => v / 255);
    let sum = 0;
    let worst = 0;
    for (let i = 0; i < count; i++) {
      const d = Math.abs(actual[i] - expected[i]);
      sum += d;
      worst = Math.max(worst, d);
    }
    assert.ok(sum / count <= 2 / 255, `${c.name}: mean |diff| ${((sum / count) * 255).toFixed(3)}/255 (max ${(worst * 255).toFixed(1)})`);
  });
}

test("brightness, contrast, saturation, hue, sharpness match torchvision (PIL and tensor paths)", { skip }, () => {
  const asFloat = new ToTensor().apply(image);
  const cases: Case[] = [];
  const adjusters = { brightness: adjustBrightness, contrast: adjustContrast, saturation: adjustSaturation, hue: adjustHue, sharpness: adjustSharpness };
  const values: Record<keyof typeof adjusters, number[]> = {
    brightness: [0.4, 1.6],
    contrast: [0.3, 1.7],
    saturation: [0, 0.5, 1.8],
    hue: [-0.3, 0.15],
    sharpness: [0.1, 1.9],
  };
  for (const kind of Object.keys(adjusters) as (keyof typeof adjusters)[]) {
    for (const value of values[kind]) {
      cases.push({ name: `${kind} ${value} (PIL)`, spec: { kind, value, tensor: false }, ours: adjusters[kind](image, value) });
      cases.push({ name: `${kind} ${value} (tensor)`, spec: { kind, value, tensor: true }, ours: adjusters[kind](asFloat, value) });
    }
  }
  compare(cases);
});

test("every RandAugment operation matches torchvision's _apply_op at magnitude bins 9 and 27, both signs", { skip }, () => {
  const cases: Case[] = [];
  for (const op of RAND_AUGMENT_OPS) {
    for (const bin of [9, 27]) {
      const { magnitude, signed } = randAugmentMagnitude(op, bin, 31, image.height, image.width);
      for (const value of signed ? [magnitude, -magnitude] : [magnitude]) {
        cases.push({ name: `${op} ${value.toFixed(3)}`, spec: { kind: op, value, tensor: false }, ours: applyRandAugmentOp(image, op, value) });
      }
    }
  }
  compare(cases);
});
