/**
 * A torchvision ResNet with random weights AND random BatchNorm statistics (so folding is exercised),
 * built by PyTorch on this machine, plus its eval-mode logits on a random batch. The state dict comes
 * back with torchvision key names in TF.js layouts (conv HWIO, linear [in, out]) as kernel-lib/models
 * returns it, and the batch in NHWC.
 */
import * as tf from "@tensorflow/tfjs";
import { runPython } from "../data/python-reference";
import { RANDOMIZE_BATCH_NORM } from "../models/torch-reference";

export interface TorchResNetFixture {
  stateDict: Map<string, tf.Tensor>;
  /** NHWC float32 batch. */
  images: tf.Tensor4D;
  /** PyTorch's eval-mode logits for `images`. */
  logits: tf.Tensor2D;
  inputShape: [number, number, number];
}

export interface FixtureOptions {
  /** BasicBlocks per stage (torchvision resnet18 is [2, 2, 2, 2]). */
  layers: number[];
  classes: number;
  imageSize: number;
  batch: number;
  /** CIFAR stem: 3x3 stride-1 conv, no max-pool. */
  cifarStem: boolean;
  seed: number;
}

const SCRIPT = String.raw`
import json, sys, struct, torch, torchvision
from torchvision.models.resnet import ResNet, BasicBlock
opts = json.loads(sys.argv[1])
torch.manual_seed(opts["seed"])
model = ResNet(BasicBlock, opts["layers"], num_classes=opts["classes"])
if opts["cifarStem"]:
    model.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    model.maxpool = torch.nn.Identity()
${RANDOMIZE_BATCH_NORM}
model.eval()
x = torch.rand(opts["batch"], 3, opts["imageSize"], opts["imageSize"]) * 2 - 1
with torch.no_grad():
    logits = model(x)
entries = []
for key, value in model.state_dict().items():
    if key.endswith("num_batches_tracked"): continue
    if value.dim() == 4: value = value.permute(2, 3, 1, 0)
    elif value.dim() == 2: value = value.t()
    entries.append((key, value.contiguous()))
entries.append(("__images__", x.permute(0, 2, 3, 1).contiguous()))
entries.append(("__logits__", logits.contiguous()))
header, blobs, offset = [], [], 0
for key, value in entries:
    data = value.float().numpy().tobytes()
    header.append({"key": key, "shape": list(value.shape), "offset": offset})
    blobs.append(data); offset += len(data)
h = json.dumps(header).encode()
sys.stdout.buffer.write(struct.pack("<I", len(h)) + h + b"".join(blobs))
`;

export function torchResNetFixture(options: FixtureOptions): TorchResNetFixture {
  const out = runPython(SCRIPT, undefined, [JSON.stringify(options)]);
  const headerLength = out.readUInt32LE(0);
  const header = JSON.parse(out.subarray(4, 4 + headerLength).toString()) as { key: string; shape: number[]; offset: number }[];
  const body = out.subarray(4 + headerLength);
  const stateDict = new Map<string, tf.Tensor>();
  let images: tf.Tensor4D | undefined;
  let logits: tf.Tensor2D | undefined;
  for (const { key, shape, offset } of header) {
    const count = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    Buffer.from(values.buffer).set(body.subarray(offset, offset + count * 4));
    const tensor = tf.tensor(values, shape, "float32");
    if (key === "__images__") images = tensor as tf.Tensor4D;
    else if (key === "__logits__") logits = tensor as tf.Tensor2D;
    else stateDict.set(key, tensor);
  }
  if (!images || !logits) throw new Error("torch fixture: python output lacks images/logits");
  return { stateDict, images, logits, inputShape: [options.imageSize, options.imageSize, 3] };
}

export function disposeFixture(fixture: TorchResNetFixture): void {
  for (const tensor of fixture.stateDict.values()) tensor.dispose();
  fixture.images.dispose();
  fixture.logits.dispose();
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}
