/**
 * One FixMatch training step (Sohn et al., 2020): the model's prediction on a weakly augmented view
 * (flip + crop) becomes a hard pseudo-label when its confidence reaches the threshold (0.95), and the
 * model is trained to predict that label on a strongly augmented view (RandAugment + Cutout) of the
 * same image. Unconfident images are masked out, so early, noisy predictions do not train the model.
 *
 * The unlabeled ratio μ is the unlabeled batch size over the labeled one (paper: 7); all three parts
 * go through the model in one batch, as in the paper, so BatchNorm sees labeled and unlabeled data.
 */
import * as tf from "@tensorflow/tfjs";
import { updateTeacher } from "./ema";
import { classifierLogits, type ClassifierModule, type NamedGradientOptimizer, type StepLosses } from "./model-contract";
import { finiteNumber, namedGradients } from "./named-gradients";
import { crossEntropyMean, detach, perSampleCrossEntropy } from "./semi-supervised-losses";

export interface FixMatchConfig {
  /** Confidence a weak-view prediction needs to become a pseudo-label (default 0.95). */
  threshold?: number;
  /** λ_u, weight of the unlabeled loss (default 1). */
  unlabeledWeight?: number;
  /** EMA decay of `emaModel`, the model FixMatch evaluates with (default 0.999). */
  emaDecay?: number;
}

export interface FixMatchStepInput {
  model: ClassifierModule;
  optimizer: NamedGradientOptimizer;
  labeled: [tf.Tensor4D, tf.Tensor1D];
  /** `[weakView, strongView]` of the same unlabeled images, optionally with their true labels (for reporting only). */
  unlabeled: [tf.Tensor4D, tf.Tensor4D] | [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
  /** 0-based index of this training step. */
  step: number;
  config?: FixMatchConfig;
  /**
   * Optional EMA copy of the model (prepared with `initTeacher`), updated after each step; FixMatch
   * reports this model's accuracy. Its BatchNorm buffers are copied from the model ("copy" in ema.ts).
   */
  emaModel?: ClassifierModule;
}

export interface FixMatchLosses extends StepLosses {
  /** Masked cross-entropy on the strong views (averaged over all unlabeled images, as in the paper). */
  unlabeledLoss: number;
  /** Fraction of unlabeled images whose pseudo-label passed the threshold. */
  maskRate: number;
  /** Accuracy of the confident pseudo-labels (null without true labels or when none passed). */
  pseudoLabelAccuracy: number | null;
  /** Accuracy of all weak-view predictions (null without true labels). */
  weakPredictionAccuracy: number | null;
}

export interface PseudoLabels {
  labels: tf.Tensor1D;
  /** 1 where the prediction's confidence reaches the threshold, else 0 (float32). */
  mask: tf.Tensor1D;
}

/** Hard pseudo-labels and their confidence mask from weak-view logits (no gradient flows through). */
export function pseudoLabels(weakLogits: tf.Tensor2D, threshold: number): PseudoLabels {
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`pseudoLabels: threshold must be a probability in [0, 1], got ${threshold}`);
  return tf.tidy(() => {
    const probabilities = tf.softmax(detach(weakLogits));
    const confidence = tf.max(probabilities, 1);
    return {
      labels: tf.cast(tf.argMax(probabilities, 1), "int32") as tf.Tensor1D,
      mask: tf.cast(tf.greaterEqual(confidence, threshold), "float32") as tf.Tensor1D,
    };
  });
}

function checkInput(input: FixMatchStepInput): void {
  const [weak, strong, trueLabels] = input.unlabeled;
  if (weak.shape.join("x") !== strong.shape.join("x")) {
    throw new Error(`fixMatchStep: weak [${weak.shape}] and strong [${strong.shape}] views differ in shape; build both with MultiView([weak, strong]) on the same dataset`);
  }
  if (trueLabels && trueLabels.shape[0] !== weak.shape[0]) throw new Error(`fixMatchStep: ${trueLabels.shape[0]} true labels for ${weak.shape[0]} unlabeled images`);
  const [images, labels] = input.labeled;
  if (images.shape[0] !== labels.shape[0]) throw new Error(`fixMatchStep: ${images.shape[0]} labeled images but ${labels.shape[0]} labels`);
  if (images.shape.slice(1).join("x") !== weak.shape.slice(1).join("x")) {
    throw new Error(`fixMatchStep: labeled images [${images.shape}] and unlabeled images [${weak.shape}] have different sizes; use the same crop size for both loaders`);
  }
}

/** Trains `model` one step; disposes everything it creates. */
export function fixMatchStep(input: FixMatchStepInput): FixMatchLosses {
  checkInput(input);
  const { model, optimizer, step } = input;
  const threshold = input.config?.threshold ?? 0.95;
  const unlabeledWeight = input.config?.unlabeledWeight ?? 1;
  const [images, labels] = input.labeled;
  const [weak, strong, trueLabels] = input.unlabeled;
  const labeledCount = labels.shape[0];
  const unlabeledCount = weak.shape[0];

  model.train();
  const { loss, grads, extras } = namedGradients(model, () => {
    const logits = classifierLogits(model, tf.concat([images, weak, strong]));
    const classLoss = crossEntropyMean(tf.slice(logits, [0, 0], [labeledCount, -1]), labels);
    const weakLogits = tf.slice(logits, [labeledCount, 0], [unlabeledCount, -1]) as tf.Tensor2D;
    const strongLogits = tf.slice(logits, [labeledCount + unlabeledCount, 0], [unlabeledCount, -1]) as tf.Tensor2D;
    const pseudo = pseudoLabels(weakLogits, threshold);
    const unlabeledLoss = tf.mean(tf.mul(perSampleCrossEntropy(strongLogits, pseudo.labels), pseudo.mask)) as tf.Scalar;
    const maskRate = tf.mean(pseudo.mask) as tf.Scalar;
    const weakCorrect = trueLabels ? tf.cast(tf.equal(pseudo.labels, tf.cast(trueLabels, "int32")), "float32") : tf.zeros([unlabeledCount]);
    const weakAccuracy = tf.mean(weakCorrect) as tf.Scalar;
    const confidentCorrect = tf.sum(tf.mul(weakCorrect, pseudo.mask)) as tf.Scalar;
    return {
      loss: tf.add(classLoss, tf.mul(unlabeledLoss, unlabeledWeight)) as tf.Scalar,
      extras: { classLoss, unlabeledLoss, maskRate, weakAccuracy, confidentCorrect },
    };
  });
  try {
    const maskRate = extras.maskRate.dataSync()[0];
    const confidentCount = Math.round(maskRate * unlabeledCount);
    const losses: FixMatchLosses = {
      loss: finiteNumber(loss, "FixMatch loss", step),
      classLoss: extras.classLoss.dataSync()[0],
      unlabeledLoss: extras.unlabeledLoss.dataSync()[0],
      maskRate,
      pseudoLabelAccuracy: trueLabels && confidentCount > 0 ? extras.confidentCorrect.dataSync()[0] / confidentCount : null,
      weakPredictionAccuracy: trueLabels ? extras.weakAccuracy.dataSync()[0] : null,
    };
    optimizer.step(grads);
    if (input.emaModel) {
      const cap = input.config?.emaDecay ?? 0.999;
      updateTeacher(model, input.emaModel, Math.min(1 - 1 / (step + 1), cap), "copy");
    }
    return losses;
  } finally {
    tf.dispose([loss, ...Object.values(extras), ...Object.values(grads)]);
  }
}
