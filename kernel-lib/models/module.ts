import * as tf from "@tensorflow/tfjs";

/**
 * The analogue of `torch.nn.Module`: a tree of named children holding parameters (trainable
 * variables) and buffers (running statistics), with PyTorch's dotted names.
 *
 * Children are the module's own properties whose value is a Module, in the order they were first
 * assigned, so `model.fc = new Linear(512, 2)` replaces the head in place and keeps torchvision's
 * state_dict order. Parameters and buffers are declared by each layer through `ownParameters()` /
 * `ownBuffers()` because a layer may hold variables it does not want to expose.
 *
 * Layouts are TF.js's (conv HWIO, linear [in, out]); names and shapes otherwise equal torchvision's.
 * `variable.trainable` plays the role of `requires_grad`: tf.variableGrads skips untrainable variables.
 */
export abstract class Module {
  training = true;

  /** NHWC input for images. */
  abstract forward(x: tf.Tensor): tf.Tensor;

  /**
   * Whether this instance's forward is wrapped (an own property shadows the class's: summary()'s forward
   * hooks, a user's). Fused paths that skip calling forward must then call it instead.
   */
  hasWrappedForward(): boolean {
    return Object.prototype.hasOwnProperty.call(this, "forward");
  }

  /** Short call syntax like PyTorch's `model(x)`. */
  apply(x: tf.Tensor): tf.Tensor {
    return this.forward(x);
  }

  /** Trainable weights this layer owns directly (not its children's), with local names. */
  protected ownParameters(): Array<[string, tf.Variable]> {
    return [];
  }

  /** Non-trainable state this layer owns directly (running statistics), with local names. */
  protected ownBuffers(): Array<[string, tf.Variable]> {
    return [];
  }

  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  namedChildren(): Array<[string, Module]> {
    const children: Array<[string, Module]> = [];
    for (const key of Object.keys(this)) {
      const value = (this as unknown as Record<string, unknown>)[key];
      if (value instanceof Module) children.push([key, value]);
    }
    return children;
  }

  children(): Module[] {
    return this.namedChildren().map(([, child]) => child);
  }

  /** Self first (named ""), then every descendant depth-first with dotted names, like PyTorch. */
  namedModules(prefix = ""): Array<[string, Module]> {
    const modules: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) {
      modules.push(...child.namedModules(prefix === "" ? name : `${prefix}.${name}`));
    }
    return modules;
  }

  /** Looks a descendant up by dotted name (`"layer1.0.conv1"`); "" is the module itself. */
  getSubmodule(path: string): Module {
    let current: Module = this;
    if (path === "") return current;
    for (const part of path.split(".")) {
      const next = current.namedChildren().find(([name]) => name === part);
      if (next === undefined) {
        const available = current.namedChildren().map(([name]) => name).join(", ");
        throw new Error(`getSubmodule: "${path}" has no part "${part}" (children there: ${available || "none"})`);
      }
      current = next[1];
    }
    return current;
  }

  namedParameters(): Array<[string, tf.Variable]> {
    return this.collect((module) => module.ownParameters());
  }

  namedBuffers(): Array<[string, tf.Variable]> {
    return this.collect((module) => module.ownBuffers());
  }

  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, variable]) => variable);
  }

  buffers(): tf.Variable[] {
    return this.namedBuffers().map(([, variable]) => variable);
  }

  /**
   * Parameters and buffers under torchvision's keys, in torchvision's order (per module: its
   * parameters, then its buffers). The tensors are the live variables: clone them to keep a copy
   * that survives later training steps.
   */
  stateDict(): Record<string, tf.Tensor> {
    const state: Record<string, tf.Tensor> = {};
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, variable] of [...module.ownParameters(), ...module.ownBuffers()]) {
        state[prefix === "" ? name : `${prefix}.${name}`] = variable;
      }
    }
    return state;
  }

  /**
   * Copies values into the existing variables (so optimizers holding them keep working). With
   * `strict` (the default) every key must match in name and shape; the error lists missing,
   * unexpected and mismatched keys at once. Dtypes are converted to the variable's dtype
   * (PyTorch's int64 `num_batches_tracked` arrives as int32 or float32).
   */
  loadStateDict(state: Record<string, tf.Tensor>, options: { strict?: boolean } = {}): void {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missing = Object.keys(own).filter((key) => !(key in state));
    const unexpected = Object.keys(state).filter((key) => !(key in own));
    const mismatched = Object.keys(own)
      .filter((key) => key in state && !sameShape(own[key].shape, state[key].shape))
      .map((key) => `${key}: checkpoint [${state[key].shape.join(", ")}] vs model [${own[key].shape.join(", ")}]`);
    if (mismatched.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
      throw new StateDictMismatchError(missing, unexpected, mismatched, strict);
    }
    for (const [key, target] of Object.entries(own)) {
      const source = state[key];
      if (source === undefined) continue;
      const variable = target as tf.Variable;
      tf.tidy(() => {
        variable.assign(source.dtype === variable.dtype ? source.clone() : tf.cast(source, variable.dtype));
      });
    }
  }

  dispose(): void {
    for (const variable of [...this.parameters(), ...this.buffers()]) variable.dispose();
  }

  private collect(pick: (module: Module) => Array<[string, tf.Variable]>): Array<[string, tf.Variable]> {
    const result: Array<[string, tf.Variable]> = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, variable] of pick(module)) result.push([prefix === "" ? name : `${prefix}.${name}`, variable]);
    }
    return result;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/** Thrown by loadStateDict; the message lists every problem so one run shows them all. */
export class StateDictMismatchError extends Error {
  constructor(
    readonly missingKeys: string[],
    readonly unexpectedKeys: string[],
    readonly mismatchedKeys: string[],
    strict: boolean,
  ) {
    const lines = ["loadStateDict: the state dict does not fit the model."];
    const list = (title: string, keys: string[]): void => {
      if (keys.length === 0) return;
      const shown = keys.slice(0, 20).join(", ");
      lines.push(`  ${title} (${keys.length}): ${shown}${keys.length > 20 ? ", ..." : ""}`);
    };
    if (strict) list("missing keys", missingKeys);
    if (strict) list("unexpected keys", unexpectedKeys);
    list("shape mismatches", mismatchedKeys);
    lines.push(
      "  Fix: build the model that wrote the checkpoint (e.g. resnet18 vs resnet34, numClasses, CIFAR stem), " +
        "or replace the differing layers after loading / pass { strict: false } to load only matching keys.",
    );
    super(lines.join("\n"));
    this.name = "StateDictMismatchError";
  }
}
