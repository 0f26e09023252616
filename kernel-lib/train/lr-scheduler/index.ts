export * from "./lr-scheduler";
export * from "./step-lr";
export * from "./multi-step-lr";
export * from "./cosine-annealing-lr";
export * from "./linear-lr";
export * from "./one-cycle-lr";
export * from "./sequential-lr";
