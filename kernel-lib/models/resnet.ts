import * as tf from "@tensorflow/tfjs";
import { Module } from "./module";
import { Conv2d } from "./conv2d";
import { BatchNorm2d } from "./batch-norm";
import { ReLU } from "./activation";
import { MaxPool2d, AdaptiveAvgPool2d } from "./pooling";
import { Linear } from "./linear";
import { Sequential } from "./sequential";
import { defaultGenerator } from "./init";
import type { Generator } from "../data/generator";
import { convBatchNormReluOnTorch } from "../engine/torch/conv-batch-norm-relu";
import { resnetTrunkOnTorch, type ResNetTrunkInputs, type TrunkConvBatchNorm } from "../engine/torch/resnet-trunk";
import { Identity } from "./identity";

/** conv + BatchNorm as the fused eval kernels take them, when both are stock modules in eval form. */
function stockConvBatchNorm(conv: Module, norm: Module): TrunkConvBatchNorm | undefined {
  if (!(conv instanceof Conv2d) || conv.bias !== null || conv.hasWrappedForward()) return undefined;
  if (!(norm instanceof BatchNorm2d) || !norm.usesRunningStatistics || norm.hasWrappedForward()) return undefined;
  return { filter: conv.weight, stride: conv.stride, padding: conv.padding, mean: norm.runningMean, variance: norm.runningVar, offset: norm.bias, scale: norm.weight, eps: norm.eps };
}

/**
 * relu(norm(conv(x)) + residual), residual optional; `relu` is the block's ReLU module, "functional" for the
 * tail of a block (torchvision applies self.relu there too, as a function) or "none" (the downsample
 * shortcut). On backend torch, in eval form and outside a gradient tape, stock modules run as one
 * convolution with the BatchNorm folded in; otherwise, or when a module was replaced by surgery or has a
 * wrapped forward, each module is called as it is (BatchNorm + ReLU still fused where BatchNorm2d.forwardRelu can).
 */
function convNormRelu(conv: Module, norm: Module, relu: Module | "functional" | "none", x: tf.Tensor, residual?: tf.Tensor): tf.Tensor {
  const stockRelu = typeof relu === "string" || (!relu.hasWrappedForward() && relu.constructor === ReLU);
  const folded = stockRelu ? stockConvBatchNorm(conv, norm) : undefined;
  if (folded) {
    const fused = convBatchNormReluOnTorch({ ...folded, x, strides: folded.stride, relu: relu !== "none", residual });
    if (fused) return fused;
  }
  return tf.tidy(() => {
    const convolved = conv.forward(x);
    if (norm instanceof BatchNorm2d && stockRelu && relu !== "none") return norm.forwardRelu(convolved, residual);
    const normalized = norm.forward(convolved);
    const summed = residual ? tf.add(normalized, residual) : normalized;
    return relu === "none" ? summed : relu === "functional" ? tf.relu(summed) : relu.forward(summed);
  });
}

/** The block's shortcut: torchvision's Sequential(conv1x1, BatchNorm) through convNormRelu, anything else as it is. */
function shortcut(downsample: Module, x: tf.Tensor): tf.Tensor {
  if (downsample instanceof Sequential && !downsample.hasWrappedForward() && downsample.length === 2 && downsample[0] instanceof Conv2d && downsample[1] instanceof BatchNorm2d) {
    return convNormRelu(downsample[0], downsample[1], "none", x);
  }
  return downsample.forward(x);
}

function isStock(module: Module, type: new (...args: never[]) => Module): boolean {
  return module.constructor === type && !module.hasWrappedForward();
}

/** A stock BasicBlock's convolutions for the trunk kernel; undefined when anything in it was replaced or hooked. */
function stockBlock(block: Module): ResNetTrunkInputs["blocks"][number] | undefined {
  if (!(block instanceof BasicBlock) || !isStock(block, BasicBlock) || !isStock(block.relu, ReLU)) return undefined;
  const conv1 = stockConvBatchNorm(block.conv1, block.bn1);
  const conv2 = stockConvBatchNorm(block.conv2, block.bn2);
  if (!conv1 || !conv2) return undefined;
  if (block.downsample === null) return { conv1, conv2, downsample: null };
  const d = block.downsample;
  const downsample = d instanceof Sequential && isStock(d, Sequential) && d.length === 2 ? stockConvBatchNorm(d[0], d[1]) : undefined;
  return downsample ? { conv1, conv2, downsample } : undefined;
}

/**
 * torchvision's ResNet (BasicBlock family) with the same child names, so state_dict keys and
 * the tutorials' surgery lines (`model.fc = ...`, `model.conv1 = ...`, `model.maxpool = ...`)
 * carry over unchanged. Input is NHWC.
 */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Module | null;

  constructor(inPlanes: number, planes: number, stride = 1, downsample: Module | null = null, generator?: Generator) {
    super();
    this.conv1 = new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, init: "kaimingNormalFanOut", generator });
    this.bn1 = new BatchNorm2d(planes);
    this.relu = new ReLU();
    this.conv2 = new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false, init: "kaimingNormalFanOut", generator });
    this.bn2 = new BatchNorm2d(planes);
    this.downsample = downsample;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      // Convolution + BatchNorm + ReLU (+ shortcut) through convNormRelu: on backend torch in eval form one folded
      // convolution each; elsewhere the modules one by one. A replaced `relu` module is called as it is.
      const out = convNormRelu(this.conv1, this.bn1, this.relu, x);
      const identity = this.downsample === null ? x : shortcut(this.downsample, x);
      return convNormRelu(this.conv2, this.bn2, "functional", out, identity);
    });
  }
}

export interface ResNetOptions {
  /** Output classes of `fc` (torchvision's num_classes); 1000 for ImageNet. */
  numClasses?: number;
  /** Seeded initialisation; defaults to the shared generator (see manualSeed). */
  generator?: Generator;
}

export class ResNet extends Module {
  conv1: Module;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: Module;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Module;

  constructor(readonly blocksPerStage: readonly [number, number, number, number], options: ResNetOptions = {}) {
    super();
    const numClasses = options.numClasses ?? 1000;
    if (!Number.isInteger(numClasses) || numClasses <= 0) throw new Error(`ResNet: numClasses must be a positive integer, got ${numClasses}`);
    const generator = options.generator ?? defaultGenerator();
    this.conv1 = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false, init: "kaimingNormalFanOut", generator });
    this.bn1 = new BatchNorm2d(64);
    this.relu = new ReLU();
    this.maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
    let inPlanes = 64;
    const makeStage = (planes: number, blocks: number, stride: number): Sequential => {
      const downsample = stride !== 1 || inPlanes !== planes
        ? new Sequential(new Conv2d(inPlanes, planes, 1, { stride, bias: false, init: "kaimingNormalFanOut", generator }), new BatchNorm2d(planes))
        : null;
      const stage = [new BasicBlock(inPlanes, planes, stride, downsample, generator)];
      inPlanes = planes;
      for (let i = 1; i < blocks; i++) stage.push(new BasicBlock(inPlanes, planes, 1, null, generator));
      return new Sequential(...stage);
    };
    this.layer1 = makeStage(64, blocksPerStage[0], 1);
    this.layer2 = makeStage(128, blocksPerStage[1], 2);
    this.layer3 = makeStage(256, blocksPerStage[2], 2);
    this.layer4 = makeStage(512, blocksPerStage[3], 2);
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc = new Linear(512, numClasses, { generator });
  }

  /** Everything up to and including the global average pool: `[batch, 512]` features. */
  features(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      if (x.rank !== 4 || x.shape[3] !== 3) {
        throw new Error(`ResNet: expected an NHWC float batch [batch, height, width, 3], got [${x.shape.join(", ")}] (use ToTensor/Normalize and batch the images)`);
      }
      const trunk = this.stockTrunk(x);
      const fused = trunk && resnetTrunkOnTorch(trunk);
      if (fused) return fused;
      let out = this.maxpool.forward(convNormRelu(this.conv1, this.bn1, this.relu, x));
      out = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(out))));
      out = this.avgpool.forward(out);
      return tf.reshape(out, [out.shape[0], -1]);
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc.forward(this.features(x)));
  }

  /**
   * The trunk as one engine kernel takes it (see resnetTrunkOnTorch), when every module up to the average
   * pool is the stock one in eval form and unhooked (surgery such as `maxpool = new Identity()` or a new
   * 3x3 `conv1` is stock too); undefined otherwise, and features() calls the modules.
   */
  private stockTrunk(x: tf.Tensor): ResNetTrunkInputs | undefined {
    const stem = stockConvBatchNorm(this.conv1, this.bn1);
    if (!stem || !isStock(this.relu, ReLU) || !isStock(this.avgpool, AdaptiveAvgPool2d)) return undefined;
    let maxPool: ResNetTrunkInputs["maxPool"];
    if (isStock(this.maxpool, Identity)) maxPool = null;
    else if (this.maxpool instanceof MaxPool2d && isStock(this.maxpool, MaxPool2d)) maxPool = { kernelSize: this.maxpool.kernelSize, stride: this.maxpool.stride, padding: this.maxpool.padding };
    else return undefined;
    const blocks: ResNetTrunkInputs["blocks"] = [];
    for (const stage of [this.layer1, this.layer2, this.layer3, this.layer4]) {
      if (!isStock(stage, Sequential)) return undefined;
      for (const child of stage.children()) {
        const block = stockBlock(child);
        if (!block) return undefined;
        blocks.push(block);
      }
    }
    return { x, stem, maxPool, blocks };
  }
}
