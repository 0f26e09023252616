/**
 * Parity with torchvision 0.14: the same decoded pixels go to Python (as a PIL image) and through our
 * transforms with the same fixed parameters; outputs must agree within 2/255 on average.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { decodeImage } from "../../../kernel-lib/data/decode-image";
import { Image } from "../../../kernel-lib/data/image";
import { resize } from "../../../kernel-lib/data/transforms/resize";
import { centerCrop } from "../../../kernel-lib/data/transforms/center-crop";
import { resizedCrop } from "../../../kernel-lib/data/transforms/resample";
import { pad, type PaddingMode } from "../../../kernel-lib/data/transforms/pad";
import { crop } from "../../../kernel-lib/data/transforms/crop";
import { horizontalFlip } from "../../../kernel-lib/data/transforms/random-horizontal-flip";
import { ToTensor } from "../../../kernel-lib/data/transforms/to-tensor";
import { Normalize } from "../../../kernel-lib/data/transforms/normalize";
import { READ_IMAGE_AND_SPEC, runPython, runPythonOnImage, torchvisionMissing } from "../python-reference";

const skip = torchvisionMissing();
// The committed sample holds these originals, so the parity check needs no external data.
const HYMENOPTERA = path.resolve(__dirname, "../../../data/hymenoptera-sample");
const IMAGE_FILES = [path.join(HYMENOPTERA, "train/ants/0013035.jpg"), path.join(HYMENOPTERA, "train/ants/ant photos.jpg")];

/** Python side: each case is applied to the PIL image built from our decoded bytes, output as float32 HWC in [0,1] (or normalized). */
const REFERENCE_SCRIPT = READ_IMAGE_AND_SPEC + `
import torch
import torchvision.transforms.functional as F
out = sys.stdout.buffer
def emit(x):
    if isinstance(x, Image.Image):
        x = F.to_tensor(x)
    out.write(x.permute(1, 2, 0).contiguous().numpy().astype('<f4').tobytes())
for case in spec['cases']:
    kind = case['kind']
    if kind == 'resize':
        emit(F.resize(img, case['size']))
    elif kind == 'resize_tensor_antialias':
        emit(F.resize(F.to_tensor(img), case['size'], antialias=True))
    elif kind == 'center_crop':
        emit(F.center_crop(F.resize(img, case['resize']), case['size']))
    elif kind == 'resized_crop':
        emit(F.resized_crop(img, case['top'], case['left'], case['height'], case['width'], case['size']))
    elif kind == 'pad_crop':
        padded = F.pad(img, case['padding'], fill=case['fill'], padding_mode=case['mode'])
        emit(F.crop(padded, case['top'], case['left'], case['height'], case['width']))
    elif kind == 'hflip':
        emit(F.hflip(img))
    elif kind == 'normalize':
        emit(F.normalize(F.to_tensor(F.center_crop(img, 64)), case['mean'], case['std']))
`;

interface ParityCase {
  kind: string;
  [key: string]: unknown;
}

function referenceOutputs(image: Image, cases: ParityCase[]): Buffer {
  return runPythonOnImage(REFERENCE_SCRIPT, image, { cases });
}

function asUnitFloat(image: Image): Float32Array {
  if (image.pixelType === "float32") return image.data as Float32Array;
  return Float32Array.from(image.data, (v) => v / 255);
}

const images: Image[] = [];
before(async () => {
  for (const file of IMAGE_FILES) images.push(await decodeImage(file));
});

test("Resize, CenterCrop, resized crop, pad modes + crop, flip, Normalize match torchvision within 2/255 mean", { skip }, () => {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  for (const image of images) {
    const { height, width } = image;
    const ours: [string, Image][] = [];
    const cases: ParityCase[] = [];
    const add = (name: string, spec: ParityCase, result: Image): void => {
      cases.push(spec);
      ours.push([name, result]);
    };
    add("resize 256", { kind: "resize", size: 256 }, resize(image, 256));
    add("resize 100 (strong downscale)", { kind: "resize", size: 100 }, resize(image, 100));
    add("resize [300, 200] (upscale/aspect change)", { kind: "resize", size: [300, 700] }, resize(image, [300, 700]));
    add("tensor resize antialias", { kind: "resize_tensor_antialias", size: 150 }, resize(image, 150));
    add("resize 256 + center crop 224", { kind: "center_crop", resize: 256, size: 224 }, centerCrop(resize(image, 256), 224, 224));
    add("center crop larger than image (zero pad)", { kind: "center_crop", resize: 40, size: [45, 100] }, centerCrop(resize(image, 40), 45, 100));
    // Boxes like RandomResizedCrop draws: small zoomed-in, wide, and the whole image.
    const boxes = [
      { top: 17, left: 33, height: 61, width: 75 },
      { top: 0, left: 5, height: Math.floor(height * 0.6), width: width - 5 },
      { top: 0, left: 0, height, width },
    ];
    for (const box of boxes) {
      add(`resized crop ${JSON.stringify(box)}`, { kind: "resized_crop", ...box, size: [224, 224] }, resizedCrop(image, box.top, box.left, box.height, box.width, 224, 224));
    }
    const small = crop(image, 10, 20, 32, 32);
    for (const mode of ["constant", "edge", "reflect", "symmetric"] as PaddingMode[]) {
      const padding = [4, 3, 5, 6] as const;
      const padded = pad(image, padding, mode === "constant" ? 7 : 0, mode);
      add(`pad ${mode} + crop`, { kind: "pad_crop", padding, fill: mode === "constant" ? 7 : 0, mode, top: 0, left: 0, height: 20, width: 25 }, crop(padded, 0, 0, 20, 25));
      const bottomRight = crop(padded, padded.height - 20, padded.width - 25, 20, 25);
      add(`pad ${mode} + bottom-right crop`, { kind: "pad_crop", padding, fill: mode === "constant" ? 7 : 0, mode, top: padded.height - 20, left: padded.width - 25, height: 20, width: 25 }, bottomRight);
    }
    assert.equal(small.shape[0], 32);
    add("hflip", { kind: "hflip" }, horizontalFlip(image));
    add("normalize", { kind: "normalize", mean, std }, new Normalize(mean, std).apply(new ToTensor().apply(centerCrop(image, 64, 64))));

    const reference = referenceOutputs(image, cases);
    let offset = 0;
    for (const [name, result] of ours) {
      const count = result.data.length;
      const expected = new Float32Array(reference.buffer.slice(reference.byteOffset + offset * 4, reference.byteOffset + (offset + count) * 4));
      offset += count;
      const actual = asUnitFloat(result);
      assert.equal(actual.length, expected.length, `${name}: size differs`);
      let sum = 0;
      let worst = 0;
      for (let i = 0; i < count; i++) {
        const d = Math.abs(actual[i] - expected[i]);
        sum += d;
        worst = Math.max(worst, d);
      }
      const meanDiff = sum / count;
      assert.ok(meanDiff <= 2 / 255, `${name}: mean |diff| ${(meanDiff * 255).toFixed(3)}/255 exceeds 2/255`);
      // Geometry errors (an off-by-one crop) show up as large single-pixel differences.
      const limit = name.startsWith("tensor") || name === "normalize" ? 0.05 : 1.01 / 255;
      assert.ok(worst <= limit, `${name}: max |diff| ${(worst * 255).toFixed(2)}/255`);
    }
    assert.equal(offset * 4, reference.length, "every reference output was compared");
  }
});

test("RandomResizedCrop and RandomErasing boxes follow torchvision's distributions (8,000 draws each side)", { skip }, async () => {
  const { RandomResizedCrop } = await import("../../../kernel-lib/data/transforms/random-resized-crop");
  const { RandomErasing } = await import("../../../kernel-lib/data/transforms/random-erasing");
  const { Generator } = await import("../../../kernel-lib/data/generator");
  const shapes: [number, number][] = [[375, 500], [60, 400]];
  const draws = 8000;
  const script = `
import json, sys, torch, math
from torchvision.transforms import RandomResizedCrop, RandomErasing
torch.manual_seed(0)
out = {}
for h, w in ${JSON.stringify(shapes)}:
    img = torch.zeros(3, h, w)
    crops = [RandomResizedCrop.get_params(img, [0.08, 1.0], [3/4, 4/3]) for _ in range(${draws})]
    erases = [RandomErasing.get_params(img, (0.02, 0.33), (0.3, 3.3), [0.0]) for _ in range(${draws})]
    out[f"{h}x{w}"] = {
        "crop": [[c[2] * c[3] / (h * w), math.log(c[3] / c[2]), (c[0] + c[2] / 2) / h] for c in crops],
        "erase": [[e[2] * e[3] / (h * w), math.log(e[3] / e[2])] for e in erases],
    }
print(json.dumps(out))`;
  const reference = JSON.parse(runPython(script).toString()) as Record<string, { crop: number[][]; erase: number[][] }>;
  const stats = (rows: number[][], column: number): [number, number] => {
    const values = rows.map((r) => r[column]);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    return [mean, std];
  };
  const generator = new Generator(0);
  for (const [h, w] of shapes) {
    const ours = { crop: [] as number[][], erase: [] as number[][] };
    for (let i = 0; i < draws; i++) {
      const c = RandomResizedCrop.getParams(h, w, [0.08, 1], [3 / 4, 4 / 3], generator);
      ours.crop.push([(c.height * c.width) / (h * w), Math.log(c.width / c.height), (c.top + c.height / 2) / h]);
      const e = RandomErasing.getParams(h, w, [0.02, 0.33], [0.3, 3.3], generator);
      const box = e ?? { height: h, width: w };
      ours.erase.push([(box.height * box.width) / (h * w), Math.log(box.width / box.height)]);
    }
    const theirs = reference[`${h}x${w}`];
    for (const [kind, columns] of [["crop", ["area", "log aspect", "vertical centre"]], ["erase", ["area", "log aspect"]]] as const) {
      columns.forEach((label, column) => {
        const [ourMean, ourStd] = stats(ours[kind], column);
        const [refMean, refStd] = stats(theirs[kind], column);
        // The difference of two means over 8,000 draws has a standard error of 1.6% of the spread; allow 6%.
        assert.ok(Math.abs(ourMean - refMean) < 0.06 * refStd + 1e-9, `${h}x${w} ${kind} ${label}: mean ${ourMean} vs torchvision ${refMean}`);
        assert.ok(Math.abs(ourStd - refStd) < 0.06 * refStd + 1e-9, `${h}x${w} ${kind} ${label}: std ${ourStd} vs torchvision ${refStd}`);
      });
    }
  }
});
