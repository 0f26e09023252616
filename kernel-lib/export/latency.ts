import * as tf from "@tensorflow/tfjs";
import type { InferenceGraph } from "./inference-graph";
import { graphToLayersArtifacts } from "./layers-model-export";
import { graphToOnnx } from "./onnx-export";
import { openOnnxSession, runOnnxSession } from "./onnx-runtime";
import { prepareWasmBackend } from "../env/wasm-backend";

/**
 * Batch-1 latency of an export on each available engine: the median of N timed runs after warm-up
 * (the first runs compile kernels and allocate, which a phone app pays once at start-up).
 */
export interface LatencySummary {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

export interface MeasureLatencyOptions {
  warmup?: number;
  runs?: number;
  /** Stop timing early once this many ms are spent (after at least 3 runs): slow engines stay affordable. */
  timeBudgetMs?: number;
}

export async function measureLatency(run: () => Promise<void> | void, options: MeasureLatencyOptions = {}): Promise<LatencySummary> {
  const warmup = options.warmup ?? 2;
  const runs = options.runs ?? 10;
  if (!(runs >= 1)) throw new Error(`measureLatency: runs must be >= 1, got ${runs}.`);
  const budget = options.timeBudgetMs ?? Infinity;
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  let spent = 0;
  for (let i = 0; i < runs && !(spent > budget && times.length >= Math.min(3, runs)); i++) {
    const start = performance.now();
    await run();
    const elapsed = performance.now() - start;
    times.push(elapsed);
    spent += elapsed;
  }
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  const medianMs = times.length % 2 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
  return { medianMs, minMs: times[0], maxMs: times[times.length - 1], runs: times.length };
}

export interface LatencyRow extends Partial<LatencySummary> {
  /** "tfjs-wasm", "tfjs-cpu", "onnxruntime-node", ... */
  engine: string;
  /** Why the engine was not measured (not registered, failed to start, package missing). */
  skipped?: string;
}

export interface LatencyTableOptions {
  /** TF.js backends to try (default: every registered one except browser-only webgl/webgpu); "wasm" is registered on demand. */
  backends?: string[];
  /** Also time onnxruntime-node (default true). */
  onnxRuntime?: boolean;
  /** Threads for onnxruntime-node (default: its own choice). */
  onnxThreads?: number;
  warmup?: number;
  runs?: number;
  /** Per-engine time budget for the timed runs (see measureLatency). */
  timeBudgetMs?: number;
}

export async function latencyTable(graph: InferenceGraph, options: LatencyTableOptions = {}): Promise<LatencyRow[]> {
  const [height, width, channels] = graph.inputShape;
  const rows: LatencyRow[] = [];
  const original = tf.getBackend();
  const browserOnly = new Set(["webgl", "webgpu"]);
  const backends = options.backends ?? Object.keys(tf.engine().registryFactory).filter((name) => !browserOnly.has(name));
  if (backends.includes("wasm")) prepareWasmBackend();
  const artifacts = graphToLayersArtifacts(graph);
  try {
    for (const backend of backends) {
      const engine = `tfjs-${backend}`;
      let ready = false;
      try {
        ready = await tf.setBackend(backend);
      } catch (error) {
        rows.push({ engine, skipped: error instanceof Error ? error.message : String(error) });
        continue;
      }
      if (!ready) {
        rows.push({ engine, skipped: `tf.setBackend("${backend}") failed (not registered or could not start)` });
        continue;
      }
      const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      const image = tf.randomUniform([1, height, width, channels]);
      try {
        const summary = await measureLatency(async () => {
          const logits = model.predict(image) as tf.Tensor;
          await logits.data();
          logits.dispose();
        }, options);
        rows.push({ engine, ...summary });
      } finally {
        image.dispose();
        model.dispose();
      }
    }
  } finally {
    await tf.setBackend(original);
  }
  if (options.onnxRuntime ?? true) {
    try {
      const session = await openOnnxSession(graphToOnnx(graph, { inputLayout: "NHWC" }), { threads: options.onnxThreads });
      const image = tf.randomUniform([1, height, width, channels]) as tf.Tensor4D;
      try {
        rows.push({
          engine: "onnxruntime-node",
          ...(await measureLatency(async () => (await runOnnxSession(session, image, "NHWC")).dispose(), options)),
        });
      } finally {
        image.dispose();
        await session.release();
      }
    } catch (error) {
      rows.push({ engine: "onnxruntime-node", skipped: error instanceof Error ? error.message : String(error) });
    }
  }
  return rows;
}
