import * as tf from "@tensorflow/tfjs";
import type { InferenceGraph } from "./inference-graph";
import { graphToLayersArtifacts } from "./layers-model-export";
import type { WeightQuantization } from "./weight-quantization";

/**
 * Size and accuracy of each weight quantization of a TF.js export, measured by loading every
 * variant through `tf.loadLayersModel` (so the numbers are what a browser would get) on labelled
 * validation batches. uint8 is known to wreck some models, so each variant is judged against the
 * float32 export: its accuracy drop and top-1 agreement.
 */
export type LabelledBatch = readonly [tf.Tensor4D, tf.Tensor1D];

export interface QuantizationRow {
  quantization: WeightQuantization;
  /** Bytes of the weight shards. */
  weightBytes: number;
  /** Fraction of weight bytes vs float32 (0.5 for float16, ~0.25 for uint8). */
  sizeRatio: number;
  /** Top-1 accuracy on the validation batches. */
  accuracy: number;
  /** float32 accuracy minus this one (positive = worse). */
  accuracyDrop: number;
  /** Fraction of images where the top-1 class equals the float32 export's. */
  agreement: number;
  /** Largest |logit - float32 logit| seen. */
  maxAbsLogitDiff: number;
  /** accuracyDrop <= maxAccuracyDrop. */
  acceptable: boolean;
}

export interface QuantizationReport {
  rows: QuantizationRow[];
  images: number;
  maxAccuracyDrop: number;
}

export interface QuantizationReportOptions {
  /** Variants to compare (float32 is always measured as the baseline). */
  quantizations?: WeightQuantization[];
  /** Largest accepted accuracy drop vs float32 (default 0.01 = one point). */
  maxAccuracyDrop?: number;
  /** Keep the batch tensors (default false: each batch is disposed after use, as a loop over a DataLoader would). */
  keepBatches?: boolean;
}

export async function compareQuantizations(
  graph: InferenceGraph,
  batches: Iterable<LabelledBatch> | AsyncIterable<LabelledBatch>,
  options: QuantizationReportOptions = {},
): Promise<QuantizationReport> {
  const maxAccuracyDrop = options.maxAccuracyDrop ?? 0.01;
  const kinds: WeightQuantization[] = ["float32", ...(options.quantizations ?? ["float16", "uint8"]).filter((kind) => kind !== "float32")];
  const variants: { quantization: WeightQuantization; model: tf.LayersModel; weightBytes: number; correct: number; agree: number; maxDiff: number }[] = [];
  try {
    for (const quantization of kinds) {
      const artifacts = graphToLayersArtifacts(graph, { quantization });
      const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      variants.push({ quantization, model, weightBytes: (artifacts.weightData as ArrayBuffer).byteLength, correct: 0, agree: 0, maxDiff: 0 });
    }
    let images = 0;
    for await (const [batchImages, labels] of batches) {
      if (batchImages.rank !== 4 || labels.rank !== 1 || labels.shape[0] !== batchImages.shape[0]) {
        throw new Error(
          `compareQuantizations: each batch must be [images NHWC, labels 1-D] of equal length; got ${JSON.stringify(batchImages.shape)} and ${JSON.stringify(labels.shape)}.`,
        );
      }
      const baseline = variants[0].model.predict(batchImages) as tf.Tensor2D;
      const baselineClasses = tf.tidy(() => tf.argMax(baseline, 1));
      for (const variant of variants) {
        const [correct, agree, diff] = tf.tidy(() => {
          const logits = variant === variants[0] ? baseline : (variant.model.predict(batchImages) as tf.Tensor2D);
          const classes = tf.argMax(logits, 1);
          return [
            tf.sum(tf.equal(classes, tf.cast(labels, "int32"))),
            tf.sum(tf.equal(classes, baselineClasses)),
            tf.max(tf.abs(tf.sub(logits, baseline))),
          ];
        });
        variant.correct += (await correct.data())[0];
        variant.agree += (await agree.data())[0];
        variant.maxDiff = Math.max(variant.maxDiff, (await diff.data())[0]);
        tf.dispose([correct, agree, diff]);
      }
      tf.dispose([baseline, baselineClasses]);
      images += batchImages.shape[0];
      if (!options.keepBatches) tf.dispose([batchImages, labels]);
    }
    if (images === 0) throw new Error("compareQuantizations: the validation batches were empty; pass at least one labelled batch.");
    const baselineAccuracy = variants[0].correct / images;
    const rows = variants.map((variant): QuantizationRow => {
      const accuracy = variant.correct / images;
      return {
        quantization: variant.quantization,
        weightBytes: variant.weightBytes,
        sizeRatio: variant.weightBytes / variants[0].weightBytes,
        accuracy,
        accuracyDrop: baselineAccuracy - accuracy,
        agreement: variant.agree / images,
        maxAbsLogitDiff: variant.maxDiff,
        acceptable: baselineAccuracy - accuracy <= maxAccuracyDrop,
      };
    });
    return { rows, images, maxAccuracyDrop };
  } finally {
    for (const variant of variants) variant.model.dispose();
  }
}
