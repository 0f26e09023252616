import type { Module } from "./module";
import { BatchNorm2d } from "./batch-norm";

/**
 * Freezing = PyTorch's `requires_grad = False`: the variables become untrainable, so
 * tf.variableGrads (and every optimizer built on it) leaves them alone.
 *
 * Frozen-BatchNorm policy (`batchNorm` option):
 *  - "train" (default, what PyTorch does): a frozen BatchNorm layer still normalises with batch
 *    statistics and keeps updating its running mean/variance whenever the model is in train mode.
 *    Only its affine weight and bias stop learning.
 *  - "eval": frozen BatchNorm layers behave as in eval mode even while the model trains: they use
 *    and keep their running statistics (the usual choice for fine-tuning on small batches). The
 *    setting is cleared again by `unfreeze`.
 */
export type FrozenBatchNormPolicy = "train" | "eval";

export interface FreezeOptions {
  batchNorm?: FrozenBatchNormPolicy;
}

/** Parameter-name prefixes: "layer1" matches "layer1.0.conv1.weight" but not "layer10...". */
function matchesPrefix(name: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => prefix === "" || name === prefix || name.startsWith(`${prefix}.`));
}

function checkPrefixes(model: Module, prefixes: readonly string[], caller: string): void {
  const modules = model.namedModules().map(([name]) => name);
  const parameters = model.namedParameters().map(([name]) => name);
  for (const prefix of prefixes) {
    if (!modules.includes(prefix) && !parameters.includes(prefix)) {
      const top = model.namedChildren().map(([name]) => name).join(", ");
      throw new Error(`${caller}: no module or parameter named "${prefix}" (top-level children: ${top}; nested names look like "layer1.0.conv1")`);
    }
  }
}

function setTrainable(model: Module, select: (name: string) => boolean, trainable: boolean, policy: FrozenBatchNormPolicy): void {
  for (const [name, variable] of model.namedParameters()) {
    if (select(name)) variable.trainable = trainable;
  }
  for (const [name, module] of model.namedModules()) {
    if (!(module instanceof BatchNorm2d)) continue;
    const frozen = !module.weight.trainable && !module.bias.trainable;
    if (trainable && select(`${name}.weight`)) module.frozenStatistics = false;
    if (!trainable && frozen && policy === "eval") module.frozenStatistics = true;
  }
}

/** Freezes every parameter, or those under the given names: `freeze(model, "layer1", "layer2")`. */
export function freeze(model: Module, ...prefixesAndOptions: Array<string | FreezeOptions>): Module {
  const prefixes = prefixesAndOptions.filter((item): item is string => typeof item === "string");
  const options = prefixesAndOptions.find((item): item is FreezeOptions => typeof item !== "string") ?? {};
  checkPrefixes(model, prefixes, "freeze");
  const select = prefixes.length === 0 ? () => true : (name: string) => matchesPrefix(name, prefixes);
  setTrainable(model, select, false, options.batchNorm ?? "train");
  return model;
}

/** Makes parameters trainable again: all of them, or those under the given names. */
export function unfreeze(model: Module, ...prefixes: string[]): Module {
  checkPrefixes(model, prefixes, "unfreeze");
  const select = prefixes.length === 0 ? () => true : (name: string) => matchesPrefix(name, prefixes);
  setTrainable(model, select, true, "train");
  return model;
}

/**
 * The feature-extractor recipe: freeze everything except the named head(s), which become (or
 * stay) trainable: `freezeAllBut(model, "fc")`.
 */
export function freezeAllBut(model: Module, head: string | string[], options: FreezeOptions = {}): Module {
  const heads = typeof head === "string" ? [head] : head;
  checkPrefixes(model, heads, "freezeAllBut");
  setTrainable(model, (name) => !matchesPrefix(name, heads), false, options.batchNorm ?? "train");
  setTrainable(model, (name) => matchesPrefix(name, heads), true, "train");
  return model;
}

/**
 * Freezes the first `count` top-level children (`list(model.children())[:count]` in PyTorch), e.g.
 * `freezeFirstChildren(model, 6)` freezes conv1, bn1, relu, maxpool, layer1, layer2.
 */
export function freezeFirstChildren(model: Module, count: number, options: FreezeOptions = {}): Module {
  const children = model.namedChildren().map(([name]) => name);
  if (!Number.isInteger(count) || count < 0 || count > children.length) {
    throw new Error(`freezeFirstChildren: count must be an integer in 0..${children.length} (children: ${children.join(", ")}), got ${count}`);
  }
  const prefixes = children.slice(0, count);
  setTrainable(model, (name) => matchesPrefix(name, prefixes), false, options.batchNorm ?? "train");
  return model;
}
