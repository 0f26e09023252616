/**
 * How much work a notebook or script should do.
 * - `smoke`: tiny subsets so every notebook runs headless in CI in seconds.
 * - `sample`: the bundled sample data under data/ (the default for a student opening a notebook).
 * - `full`: the real datasets and the tutorials' full recipes (long runs that write result files).
 * Read from the `LAB_MODE` environment variable so the same notebook serves all three.
 */
export type RunMode = "smoke" | "sample" | "full";

const RUN_MODES: readonly RunMode[] = ["smoke", "sample", "full"];

export function runMode(env: NodeJS.ProcessEnv = process.env): RunMode {
  const value = (env.LAB_MODE ?? "sample").trim().toLowerCase();
  if ((RUN_MODES as readonly string[]).includes(value)) return value as RunMode;
  throw new Error(
    `LAB_MODE=${JSON.stringify(env.LAB_MODE)} is not a run mode; set LAB_MODE to one of ${RUN_MODES.join(", ")}.`,
  );
}

/** Picks the value for the current run mode, e.g. `byMode({ smoke: 2, sample: 5, full: 30 })` epochs. */
export function byMode<T>(values: Record<RunMode, T>, mode: RunMode = runMode()): T {
  return values[mode];
}
