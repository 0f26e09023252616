import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { InferenceGraph } from "./inference-graph";
import { countGraphWeights } from "./inference-graph";
import { foldBatchNorm } from "./fold-batch-norm";
import { graphFromModule, type ForwardModule } from "./module-graph";
import { graphToLayersArtifacts } from "./layers-model-export";
import { writeLayersModelFiles, type WrittenModelFiles } from "./model-files";
import { exportOnnxFile } from "./onnx-export";
import { verifyLayersModelExport, verifyOnnxExport, DEFAULT_EXPORT_TOLERANCE, type ExportCheck } from "./verify-export";

/**
 * One call from a trained module to verified phone/browser files:
 *   out/tfjs/model.json + shards   (tf.loadLayersModel)
 *   out/model.onnx                 (ONNX Runtime; opset 13)
 * Both are reloaded and compared with `model.forward` (eval mode) on `images`.
 */
export interface ExportModelOptions {
  inputShape: [number, number, number];
  /** Batch for verification (NHWC, normalized like training); default: 4 random images. */
  images?: tf.Tensor4D;
  /** ONNX input layout (default NCHW, as PyTorch exports). */
  onnxInputLayout?: "NCHW" | "NHWC";
  tolerance?: number;
  /** Stored in the ONNX metadata (e.g. { classes: "ants,bees" }). */
  metadata?: Record<string, string>;
}

export interface ExportedModel {
  graph: InferenceGraph;
  parameters: number;
  tfjs: WrittenModelFiles;
  onnxFile: string;
  onnxBytes: number;
  checks: ExportCheck[];
}

export async function exportModel(model: ForwardModule, directory: string, options: ExportModelOptions): Promise<ExportedModel> {
  model.eval();
  const graph = foldBatchNorm(graphFromModule(model, { inputShape: options.inputShape }));
  const tfjs = writeLayersModelFiles(path.join(directory, "tfjs"), graphToLayersArtifacts(graph));
  const onnxFile = path.join(directory, "model.onnx");
  const onnxInputLayout = options.onnxInputLayout ?? "NCHW";
  const onnxBytes = exportOnnxFile(graph, onnxFile, { inputLayout: onnxInputLayout, metadata: options.metadata });
  const images = options.images ?? tf.randomUniform([4, ...options.inputShape], -1, 1);
  const reference = tf.tidy(() => model.forward(images) as tf.Tensor2D);
  try {
    const tolerance = options.tolerance ?? DEFAULT_EXPORT_TOLERANCE;
    const checks = [
      await verifyLayersModelExport(tfjs.directory, images, reference, tolerance),
      await verifyOnnxExport(onnxFile, images, reference, onnxInputLayout, tolerance),
    ];
    return { graph, parameters: countGraphWeights(graph), tfjs, onnxFile, onnxBytes, checks };
  } finally {
    reference.dispose();
    if (images !== options.images) images.dispose();
  }
}
