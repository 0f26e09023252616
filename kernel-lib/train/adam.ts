/**
 * `torch.optim.Adam` (L2 weight decay added to the gradient, optional AMSGrad) and `torch.optim.AdamW`
 * (decoupled weight decay: the parameter shrinks by lr * weightDecay before the Adam step).
 */
import * as tf from "@tensorflow/tfjs";
import { Optimizer, type BaseHyperparameters, type ParamGroup, type ParamGroupSpec, type ParameterState } from "./optimizer";
import type { NamedParameters } from "./trainable-module";

export interface AdamHyperparameters extends BaseHyperparameters {
  betas: [number, number];
  eps: number;
  amsgrad: boolean;
}

export type AdamOptions = Partial<AdamHyperparameters>;

export class Adam extends Optimizer<AdamHyperparameters> {
  /** True for AdamW: weight decay scales the parameter instead of being added to the gradient. */
  protected readonly decoupledWeightDecay: boolean = false;

  constructor(params: NamedParameters | Array<ParamGroupSpec<AdamHyperparameters>>, options: AdamOptions = {}, name = "Adam", defaultWeightDecay = 0) {
    const defaults: AdamHyperparameters = {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: defaultWeightDecay,
      amsgrad: false,
      maximize: false,
      ...options,
    };
    const [beta1, beta2] = defaults.betas;
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new Error(`${name}: betas must be in [0, 1), got [${defaults.betas}]`);
    if (!(defaults.eps >= 0)) throw new Error(`${name}: eps must be >= 0`);
    super(params, defaults, name);
  }

  protected update(
    parameter: tf.Variable,
    grad: tf.Tensor,
    state: ParameterState,
    group: ParamGroup<AdamHyperparameters>,
  ): { parameter: tf.Tensor; state: ParameterState } {
    const [beta1, beta2] = group.betas;
    let gradient = group.maximize ? tf.neg(grad) : grad;
    let value: tf.Tensor = parameter;
    if (group.weightDecay !== 0) {
      if (this.decoupledWeightDecay) value = tf.mul(parameter, 1 - group.lr * group.weightDecay);
      else gradient = tf.add(gradient, tf.mul(parameter, group.weightDecay));
    }
    const step = (typeof state.step === "number" ? state.step : 0) + 1;
    const previousAvg = tensorOrZeros(state.expAvg, parameter);
    const previousSq = tensorOrZeros(state.expAvgSq, parameter);
    const expAvg = tf.add(tf.mul(previousAvg, beta1), tf.mul(gradient, 1 - beta1));
    const expAvgSq = tf.add(tf.mul(previousSq, beta2), tf.mul(tf.square(gradient), 1 - beta2));
    const stepSize = group.lr / (1 - beta1 ** step);
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
    const next: ParameterState = { step, expAvg, expAvgSq };
    let second = expAvgSq;
    if (group.amsgrad) {
      second = tf.maximum(tensorOrZeros(state.maxExpAvgSq, parameter), expAvgSq);
      next.maxExpAvgSq = second;
    }
    const denominator = tf.add(tf.div(tf.sqrt(second), biasCorrection2Sqrt), group.eps);
    return { parameter: tf.sub(value, tf.mul(tf.div(expAvg, denominator), stepSize)), state: next };
  }
}

export class AdamW extends Adam {
  protected override readonly decoupledWeightDecay: boolean = true;

  constructor(params: NamedParameters | Array<ParamGroupSpec<AdamHyperparameters>>, options: AdamOptions = {}) {
    super(params, options, "AdamW", 1e-2);
  }
}

function tensorOrZeros(value: tf.Tensor | number | undefined, like: tf.Tensor): tf.Tensor {
  return value === undefined || typeof value === "number" ? tf.zerosLike(like) : value;
}
