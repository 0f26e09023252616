/**
 * The supervised-only baseline: cross-entropy on the labeled images alone. Run with the same labeled
 * split, optimizer and schedule as the semi-supervised methods, it shows what the unlabeled images add.
 */
import * as tf from "@tensorflow/tfjs";
import { classifierLogits, type ClassifierModule, type NamedGradientOptimizer, type StepLosses } from "./model-contract";
import { finiteNumber, namedGradients } from "./named-gradients";
import { crossEntropyMean } from "./semi-supervised-losses";

export interface SupervisedStepInput {
  model: ClassifierModule;
  optimizer: NamedGradientOptimizer;
  labeled: [tf.Tensor4D, tf.Tensor1D];
  /** 0-based index of this training step (named in errors). */
  step: number;
}

/** Trains `model` one step on labeled images; disposes everything it creates. */
export function supervisedStep(input: SupervisedStepInput): StepLosses {
  const { model, optimizer, step } = input;
  const [images, labels] = input.labeled;
  if (images.shape[0] !== labels.shape[0]) throw new Error(`supervisedStep: ${images.shape[0]} labeled images but ${labels.shape[0]} labels`);
  model.train();
  const { loss, grads } = namedGradients(model, () => ({ loss: crossEntropyMean(classifierLogits(model, images), labels), extras: {} }));
  try {
    const value = finiteNumber(loss, "supervised loss", step);
    optimizer.step(grads);
    return { loss: value, classLoss: value };
  } finally {
    tf.dispose([loss, ...Object.values(grads)]);
  }
}
