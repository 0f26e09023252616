import * as tf from "@tensorflow/tfjs";
import { layersModelFromDirectory } from "./model-files";
import { openOnnxSession, runOnnxSession } from "./onnx-runtime";

/**
 * Reloads an export the way its consumer will (tf.loadLayersModel; onnxruntime-node) and compares
 * its logits with the source model's on the same batch. 1e-4 is the default bar: float32 exports
 * of a ResNet differ from the source by ~1e-6, so anything above it is a real layout/padding bug.
 */
export const DEFAULT_EXPORT_TOLERANCE = 1e-4;

export interface ExportCheck {
  format: "tfjs-layers" | "onnx";
  path: string;
  maxAbsDiff: number;
  tolerance: number;
  ok: boolean;
}

export async function verifyLayersModelExport(
  directory: string,
  images: tf.Tensor4D,
  referenceLogits: tf.Tensor2D,
  tolerance: number = DEFAULT_EXPORT_TOLERANCE,
): Promise<ExportCheck> {
  const model = await tf.loadLayersModel(layersModelFromDirectory(directory));
  try {
    const logits = model.predict(images) as tf.Tensor2D;
    const maxAbsDiff = compareLogits(logits, referenceLogits, directory);
    logits.dispose();
    return { format: "tfjs-layers", path: directory, maxAbsDiff, tolerance, ok: maxAbsDiff <= tolerance };
  } finally {
    model.dispose();
  }
}

export async function verifyOnnxExport(
  file: string,
  images: tf.Tensor4D,
  referenceLogits: tf.Tensor2D,
  inputLayout: "NCHW" | "NHWC",
  tolerance: number = DEFAULT_EXPORT_TOLERANCE,
): Promise<ExportCheck> {
  const session = await openOnnxSession(file);
  try {
    const logits = await runOnnxSession(session, images, inputLayout);
    const maxAbsDiff = compareLogits(logits, referenceLogits, file);
    logits.dispose();
    return { format: "onnx", path: file, maxAbsDiff, tolerance, ok: maxAbsDiff <= tolerance };
  } finally {
    await session.release();
  }
}

function compareLogits(logits: tf.Tensor2D, reference: tf.Tensor2D, source: string): number {
  if (logits.shape.join("x") !== reference.shape.join("x")) {
    throw new Error(`verify: ${source} produced logits ${logits.shape.join("x")} but the source model gives ${reference.shape.join("x")}.`);
  }
  return tf.tidy(() => tf.max(tf.abs(tf.sub(logits, reference))).dataSync()[0]);
}
