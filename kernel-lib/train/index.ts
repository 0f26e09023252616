/** Training: optimizers, LR schedulers, losses and metrics, the `fit` loop and its building blocks, checkpoints. */
export * from "./trainable-module";
export * from "./optimizer";
export * from "./sgd";
export * from "./adam";
export * from "./param-groups";
export * from "./lr-scheduler";
export * from "./cross-entropy";
export * from "./accuracy";
export * from "./clip-grad-norm";
export * from "./train-step";
export * from "./evaluate";
export * from "./callbacks";
export * from "./early-stopping";
export * from "./checkpoint";
export * from "./training-progress";
export * from "./fit";
export * from "./lr-finder";
