/**
 * The base of kernel-lib's optimizers, shaped like `torch.optim.Optimizer`: parameter groups with their
 * own hyperparameters (schedulers change `lr` in place), per-parameter state, `stateDict`/`loadStateDict`.
 *
 * Unlike tf.train's optimizers, state is keyed by parameter NAME, never by position in a variable list:
 * freezing the backbone, training the head, then unfreezing cannot hand one layer another's momentum.
 * `step(grads)` takes gradients keyed by the same names (TF.js has no `.grad` on variables, so there is
 * no `zeroGrad`); a parameter without a gradient this step (frozen) is skipped and keeps its state.
 */
import * as tf from "@tensorflow/tfjs";
import type { NamedParameters } from "./trainable-module";

/** Hyperparameters every group has; subclasses add their own (momentum, betas, ...). */
export interface BaseHyperparameters {
  lr: number;
  weightDecay: number;
  maximize: boolean;
}

/** A group as the optimizer holds it: its parameters plus its (mutable) hyperparameters. */
export type ParamGroup<H extends BaseHyperparameters> = H & {
  params: NamedParameters;
  /** The lr when the first scheduler attached (PyTorch's `initial_lr`). */
  initialLr?: number;
};

/** What a caller passes per group: parameters plus any hyperparameters that differ from the defaults. */
export type ParamGroupSpec<H extends BaseHyperparameters> = Partial<H> & { params: NamedParameters };

/** Per-parameter state: tensors owned by the optimizer, or plain numbers such as Adam's step count. */
export type ParameterState = Record<string, tf.Tensor | number>;

/** A serializable snapshot: tensors are the optimizer's own (clone them to keep them past `step`). */
export interface OptimizerStateDict {
  state: Record<string, ParameterState>;
  paramGroups: Array<Record<string, number | boolean | number[] | string[]>>;
}

/** Anything a scheduler can drive: groups whose `lr` (and momentum/betas) it rewrites. */
export interface SchedulableOptimizer {
  readonly paramGroups: Array<{
    lr: number;
    initialLr?: number;
    momentum?: number;
    betas?: [number, number];
  }>;
}

export abstract class Optimizer<H extends BaseHyperparameters> implements SchedulableOptimizer {
  readonly paramGroups: Array<ParamGroup<H>>;
  protected readonly state = new Map<string, ParameterState>();
  private readonly groupOfName = new Map<string, ParamGroup<H>>();

  protected constructor(params: NamedParameters | Array<ParamGroupSpec<H>>, defaults: H, optimizerName: string) {
    const specs: Array<ParamGroupSpec<H>> = isGroupList(params) ? params : [{ params } as ParamGroupSpec<H>];
    if (specs.length === 0) throw new Error(`${optimizerName}: got an empty parameter list; pass model.namedParameters()`);
    this.paramGroups = specs.map((spec) => ({ ...defaults, ...withoutUndefined(spec) }) as ParamGroup<H>);
    for (const group of this.paramGroups) {
      if (!(group.lr >= 0)) throw new Error(`${optimizerName}: invalid learning rate ${group.lr}; use lr >= 0`);
      for (const [name] of group.params) {
        if (this.groupOfName.has(name)) {
          throw new Error(`${optimizerName}: parameter "${name}" appears in more than one parameter group; list it once`);
        }
        this.groupOfName.set(name, group);
      }
    }
  }

  /**
   * Applies one update. `grads` maps parameter names to gradients (the caller keeps ownership and
   * disposes them afterwards); names without a gradient are skipped.
   */
  step(grads: Record<string, tf.Tensor>): void {
    for (const name of Object.keys(grads)) {
      if (!this.groupOfName.has(name)) {
        throw new Error(
          `${this.constructor.name}.step: got a gradient for "${name}", which is in no parameter group; ` +
            "build the optimizer from model.namedParameters() (all of them, frozen ones included)",
        );
      }
    }
    for (const group of this.paramGroups) {
      for (const [name, variable] of group.params) {
        const grad = grads[name];
        if (grad === undefined) continue;
        if (!arraysEqual(grad.shape, variable.shape)) {
          throw new Error(`${this.constructor.name}.step: gradient of "${name}" has shape [${grad.shape}], parameter has [${variable.shape}]`);
        }
        const previous = this.state.get(name) ?? {};
        const next = tf.tidy(() => {
          const { parameter, state } = this.update(variable, grad, previous, group);
          variable.assign(parameter);
          return state;
        });
        for (const value of Object.values(next)) if (typeof value !== "number") tf.keep(value);
        for (const [key, value] of Object.entries(previous)) {
          if (typeof value !== "number" && next[key] !== value) value.dispose();
        }
        this.state.set(name, next);
      }
    }
  }

  /** The rule of one optimizer for one parameter: new value and new state (tensors made inside tidy). */
  protected abstract update(
    parameter: tf.Variable,
    grad: tf.Tensor,
    state: ParameterState,
    group: ParamGroup<H>,
  ): { parameter: tf.Tensor; state: ParameterState };

  stateDict(): OptimizerStateDict {
    const state: Record<string, ParameterState> = {};
    for (const [name, entry] of this.state) state[name] = { ...entry };
    const paramGroups = this.paramGroups.map((group) => {
      const record: Record<string, number | boolean | number[] | string[]> = {};
      for (const [key, value] of Object.entries(group)) {
        if (key === "params") record.params = group.params.map(([name]) => name);
        else if (value !== undefined) record[key] = value as number | boolean | number[];
      }
      return record;
    });
    return { state, paramGroups };
  }

  /** Restores a `stateDict()` (tensors are cloned; the caller keeps ownership of what it passed). */
  loadStateDict(saved: OptimizerStateDict): void {
    const where = `${this.constructor.name}.loadStateDict`;
    if (saved.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${where}: the checkpoint has ${saved.paramGroups.length} parameter groups, this optimizer ${this.paramGroups.length}; build it with the same groups`);
    }
    saved.paramGroups.forEach((savedGroup, index) => {
      const group = this.paramGroups[index];
      const names = group.params.map(([name]) => name).join(",");
      const savedNames = (savedGroup.params as string[]).join(",");
      if (names !== savedNames) {
        throw new Error(`${where}: parameter group ${index} holds different parameters than the checkpoint's; build the optimizer from the same model and groups`);
      }
      for (const [key, value] of Object.entries(savedGroup)) {
        if (key !== "params") (group as unknown as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
      }
    });
    for (const entry of this.state.values()) for (const value of Object.values(entry)) if (typeof value !== "number") value.dispose();
    this.state.clear();
    for (const [name, entry] of Object.entries(saved.state)) {
      if (!this.groupOfName.has(name)) throw new Error(`${where}: the checkpoint has state for unknown parameter "${name}"`);
      const copy: ParameterState = {};
      for (const [key, value] of Object.entries(entry)) copy[key] = typeof value === "number" ? value : tf.keep(value.clone());
      this.state.set(name, copy);
    }
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const entry of this.state.values()) for (const value of Object.values(entry)) if (typeof value !== "number") value.dispose();
    this.state.clear();
  }
}

function isGroupList<H extends BaseHyperparameters>(
  params: NamedParameters | Array<ParamGroupSpec<H>>,
): params is Array<ParamGroupSpec<H>> {
  return params.length > 0 && !Array.isArray(params[0]);
}

function withoutUndefined<T extends object>(spec: T): Partial<T> {
  return Object.fromEntries(Object.entries(spec).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function arraysEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
