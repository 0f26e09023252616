/**
 * Loss and gradients with respect to a model's trainable parameters, keyed by parameter name (the
 * keys kernel-lib/train's optimizers use), plus extra scalars the loss function wants reported.
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierModule } from "./model-contract";

export interface NamedGradients<Extras extends string> {
  loss: tf.Scalar;
  grads: Record<string, tf.Tensor>;
  extras: Record<Extras, tf.Scalar>;
}

/**
 * Runs `lossFunction` under a gradient tape for `model`'s trainable parameters only. Everything the
 * loss function creates is freed except the loss, the gradients and the named `extras` it returns;
 * the caller disposes those.
 */
export function namedGradients<Extras extends string>(
  model: ClassifierModule,
  lossFunction: () => { loss: tf.Scalar; extras: Record<Extras, tf.Scalar> },
): NamedGradients<Extras> {
  const trainable = model.namedParameters().filter(([, variable]) => variable.trainable);
  if (trainable.length === 0) throw new Error("namedGradients: the model has no trainable parameters (all frozen?); unfreeze some before training");
  const nameOfVariable = new Map(trainable.map(([name, variable]) => [variable.name, name]));
  let extras: Record<Extras, tf.Scalar> | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const result = lossFunction();
    // variableGrads tidies everything but the loss; the reported extras must survive that.
    extras = result.extras;
    for (const scalar of Object.values<tf.Scalar>(result.extras)) tf.keep(scalar);
    return result.loss;
  }, trainable.map(([, variable]) => variable));
  const byParameterName: Record<string, tf.Tensor> = {};
  for (const [variableName, gradient] of Object.entries(grads)) {
    const parameterName = nameOfVariable.get(variableName);
    if (parameterName === undefined) throw new Error(`namedGradients: gradient for unknown variable ${variableName}`);
    byParameterName[parameterName] = gradient;
  }
  if (extras === undefined) throw new Error("namedGradients: the loss function did not run");
  return { loss: value, grads: byParameterName, extras };
}

/** Reads a scalar as a number; a NaN/Inf loss is an error naming what diverged and what to try. */
export function finiteNumber(scalar: tf.Scalar, what: string, step: number): number {
  const value = scalar.dataSync()[0];
  if (!Number.isFinite(value)) {
    throw new Error(`${what} is ${value} at step ${step}: training diverged; lower the learning rate or the unlabeled loss weight`);
  }
  return value;
}
