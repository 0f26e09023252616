/**
 * The public surface that notebooks import: `import * as lab from "./kernel-lib"`.
 * Each area keeps its own index so the split mirrors torchvision (data, models, train, ...).
 */
export * from "./env";
export * from "./engine";
export * from "./data";
export * from "./models";
export * from "./train";
export * from "./plots";
export * from "./export";
export * from "./report";
