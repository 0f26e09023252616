import type { Module } from "./module";

/** `sum(p.numel() for p in model.parameters())`. */
export function parameterCount(model: Module): number {
  return model.parameters().reduce((total, variable) => total + variable.size, 0);
}

/** `sum(p.numel() for p in model.parameters() if p.requires_grad)`. */
export function trainableParameterCount(model: Module): number {
  return model.parameters().reduce((total, variable) => total + (variable.trainable ? variable.size : 0), 0);
}
