import type * as tf from "@tensorflow/tfjs";
import type { InferenceGraph } from "./inference-graph";
import { resnetGraphFromStateDict, type StateDictLike } from "./resnet-graph";

/**
 * What the exporters need from a kernel-lib/models module tree (torchvision's nn.Module contract):
 * its children by name, its state dict with torchvision keys in TF.js layouts, and a forward pass
 * for verification. Declared structurally so export does not import the models' classes.
 */
export interface ExportableModule {
  namedChildren(): Iterable<readonly [string, object]>;
  stateDict(): StateDictLike;
}

export interface ForwardModule extends ExportableModule {
  forward(images: tf.Tensor4D): tf.Tensor;
  eval(): unknown;
}

export interface ModuleGraphOptions {
  /** `[height, width, channels]` of one input image the export will accept. */
  inputShape: [number, number, number];
  name?: string;
}

/**
 * Converts a ResNet module tree (torchvision layout: conv1, bn1, relu, maxpool, layer1..4, avgpool,
 * fc) to the inference graph. Weights come from the state dict; the stem's stride/padding, the
 * BatchNorm epsilon (`bn1.eps`) and whether the max-pool exists come from the modules themselves,
 * so CIFAR variants (3x3 stride-1 stem, Identity max-pool) export correctly.
 */
export function graphFromModule(model: ExportableModule, options: ModuleGraphOptions): InferenceGraph {
  const children = new Map<string, object>();
  for (const [name, child] of model.namedChildren()) children.set(name, child);
  const missing = ["conv1", "bn1", "layer1", "fc"].filter((name) => !children.has(name));
  if (missing.length > 0) {
    throw new Error(
      `graphFromModule: the model has no ${missing.join(", ")} child; only torchvision-style ResNets ` +
        "(resnet18/resnet34 with BasicBlocks, as kernel-lib/models builds them) can be exported.",
    );
  }
  const maxpool = children.get("maxpool");
  const stem = convGeometry(children.get("conv1") as object);
  const epsilon = (children.get("bn1") as { eps?: unknown }).eps;
  return resnetGraphFromStateDict(model.stateDict(), {
    inputShape: options.inputShape,
    name: options.name ?? model.constructor.name.toLowerCase(),
    maxPool: maxpool !== undefined && maxpool.constructor.name !== "Identity",
    stem,
    batchNormEpsilon: typeof epsilon === "number" ? epsilon : undefined,
  });
}

/**
 * Stride and padding of a Conv2d module, read from the PyTorch-named fields (`stride`, `padding`:
 * a number or a [h, w] pair). Undefined when the module does not expose them, in which case the
 * stem geometry is derived from the kernel size as torchvision does.
 */
function convGeometry(conv: object): { stride: number; padding: number } | undefined {
  const fields = conv as { stride?: unknown; padding?: unknown };
  const scalar = (value: unknown): number | undefined => {
    if (typeof value === "number") return value;
    if (Array.isArray(value) && value.length > 0 && value.every((item) => item === value[0]) && typeof value[0] === "number") return value[0];
    return undefined;
  };
  const stride = scalar(fields.stride);
  const padding = scalar(fields.padding);
  if (stride === undefined || padding === undefined) return undefined;
  return { stride, padding };
}
