import { ResNet, type ResNetOptions } from "./resnet";
import { loadCheckpointFile, resolveWeightsFile, type WeightsOptions, type WeightsSource } from "./weights";

/**
 * `torchvision.models.resnet18/resnet34`. Without `weights` the model is built synchronously with
 * seeded random weights; with `weights` it returns a Promise (downloads are async):
 *
 *   const model = await resnet18({ weights: "IMAGENET1K_V1" });
 *   model.fc = new Linear(512, 2);
 */
export interface PretrainedResNetOptions extends ResNetOptions, WeightsOptions {
  weights: WeightsSource;
}

type Architecture = "resnet18" | "resnet34";
const BLOCKS: Record<Architecture, [number, number, number, number]> = { resnet18: [2, 2, 2, 2], resnet34: [3, 4, 6, 3] };

function build(architecture: Architecture, options: ResNetOptions | PretrainedResNetOptions): ResNet | Promise<ResNet> {
  const model = new ResNet(BLOCKS[architecture], options);
  if (!("weights" in options) || options.weights === undefined) return model;
  return loadPretrained(architecture, model, options as PretrainedResNetOptions);
}

async function loadPretrained(architecture: Architecture, model: ResNet, options: PretrainedResNetOptions): Promise<ResNet> {
  try {
    const file = await resolveWeightsFile(architecture, options.weights, options);
    const state = loadCheckpointFile(file);
    try {
      model.loadStateDict(state);
    } catch (error) {
      const hint = options.numClasses !== undefined && options.numClasses !== 1000
        ? `\n  (numClasses ${options.numClasses} differs from the checkpoint's head: load with the default 1000 classes, then replace it: model.fc = new Linear(512, ${options.numClasses}))`
        : "";
      throw new Error(`${architecture}: ${(error as Error).message}${hint}`);
    } finally {
      Object.values(state).forEach((tensor) => tensor.dispose());
    }
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

export function resnet18(options?: ResNetOptions): ResNet;
export function resnet18(options: PretrainedResNetOptions): Promise<ResNet>;
export function resnet18(options: ResNetOptions | PretrainedResNetOptions = {}): ResNet | Promise<ResNet> {
  return build("resnet18", options);
}

export function resnet34(options?: ResNetOptions): ResNet;
export function resnet34(options: PretrainedResNetOptions): Promise<ResNet>;
export function resnet34(options: ResNetOptions | PretrainedResNetOptions = {}): ResNet | Promise<ResNet> {
  return build("resnet34", options);
}
