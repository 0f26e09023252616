/**
 * `torch.optim.SGD`: weight decay is added to the gradient (L2), then momentum with dampening,
 * optionally Nesterov. The first momentum step copies the gradient, as PyTorch does.
 */
import * as tf from "@tensorflow/tfjs";
import { Optimizer, type BaseHyperparameters, type ParamGroup, type ParamGroupSpec, type ParameterState } from "./optimizer";
import type { NamedParameters } from "./trainable-module";
import { sgdStepOnTorch } from "../engine/torch/sgd-step";

export interface SGDHyperparameters extends BaseHyperparameters {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

export type SGDOptions = Partial<SGDHyperparameters> & { lr: number };

export class SGD extends Optimizer<SGDHyperparameters> {
  constructor(params: NamedParameters | Array<ParamGroupSpec<SGDHyperparameters>>, options: SGDOptions) {
    const defaults: SGDHyperparameters = { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, ...options };
    if (defaults.nesterov && (defaults.momentum <= 0 || defaults.dampening !== 0)) {
      throw new Error("SGD: nesterov needs momentum > 0 and dampening 0 (as in torch.optim.SGD)");
    }
    if (defaults.momentum < 0 || defaults.weightDecay < 0) throw new Error("SGD: momentum and weightDecay must be >= 0");
    super(params, defaults, "SGD");
  }

  protected update(
    parameter: tf.Variable,
    grad: tf.Tensor,
    state: ParameterState,
    group: ParamGroup<SGDHyperparameters>,
  ): { parameter: tf.Tensor; state: ParameterState } {
    // Backend torch: one kernel writes the new parameter and buffer once each (torch.optim's cost);
    // elsewhere the op path below, which allocates a tensor per operation.
    const previousBuffer = state.momentumBuffer;
    const fused = sgdStepOnTorch(parameter, grad, typeof previousBuffer === "number" ? undefined : previousBuffer, {
      lr: group.lr,
      momentum: group.momentum,
      dampening: group.dampening,
      weightDecay: group.weightDecay,
      nesterov: group.nesterov,
      maximize: group.maximize,
    });
    if (fused !== undefined) {
      return { parameter: fused.parameter, state: fused.momentumBuffer === undefined ? {} : { momentumBuffer: fused.momentumBuffer } };
    }
    let direction = group.maximize ? tf.neg(grad) : grad;
    if (group.weightDecay !== 0) direction = tf.add(direction, tf.mul(parameter, group.weightDecay));
    const next: ParameterState = {};
    if (group.momentum !== 0) {
      const previous = state.momentumBuffer;
      const buffer =
        previous === undefined || typeof previous === "number"
          ? tf.clone(direction)
          : tf.add(tf.mul(previous, group.momentum), tf.mul(direction, 1 - group.dampening));
      next.momentumBuffer = buffer;
      direction = group.nesterov ? tf.add(direction, tf.mul(buffer, group.momentum)) : buffer;
    }
    return { parameter: tf.sub(parameter, tf.mul(direction, group.lr)), state: next };
  }
}
