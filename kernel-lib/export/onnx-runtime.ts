import * as tf from "@tensorflow/tfjs";
import type * as ort from "onnxruntime-node";
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from "./onnx-export";

/**
 * Runs exported ONNX files with onnxruntime-node: the independent check (an engine nobody here
 * wrote) and the latency baseline a phone app using ONNX Runtime Mobile would get.
 * The package is loaded on first use so the rest of kernel-lib works without it.
 */
export type OnnxRuntime = typeof ort;

let runtime: OnnxRuntime | undefined;

export function loadOnnxRuntime(): OnnxRuntime {
  if (!runtime) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      runtime = require("onnxruntime-node") as OnnxRuntime;
    } catch (error) {
      throw new Error(
        "onnxruntime-node is not installed; run `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0` " +
          "(the skip avoids its optional CUDA download, which fails offline). Cause: " +
          (error instanceof Error ? error.message : String(error)),
      );
    }
  }
  return runtime;
}

export interface OnnxSessionOptions {
  /** Threads for one operator (default: ONNX Runtime's choice, all cores). */
  threads?: number;
}

/** Opens an ONNX model from a file path or bytes on the CPU execution provider. */
export async function openOnnxSession(model: string | Uint8Array, options: OnnxSessionOptions = {}): Promise<ort.InferenceSession> {
  const { InferenceSession } = loadOnnxRuntime();
  const sessionOptions: ort.InferenceSession.SessionOptions = { executionProviders: ["cpu"], graphOptimizationLevel: "all" };
  if (options.threads !== undefined) sessionOptions.intraOpNumThreads = options.threads;
  return typeof model === "string" ? InferenceSession.create(model, sessionOptions) : InferenceSession.create(model, sessionOptions);
}

/**
 * Feeds an NHWC TF.js batch to a session made by graphToOnnx (transposing for an NCHW input) and
 * returns its logits as a TF.js tensor.
 */
export async function runOnnxSession(session: ort.InferenceSession, images: tf.Tensor4D, inputLayout: "NCHW" | "NHWC" = "NCHW"): Promise<tf.Tensor2D> {
  const { Tensor } = loadOnnxRuntime();
  const feed = inputLayout === "NCHW" ? tf.transpose(images, [0, 3, 1, 2]) : images;
  const data = (await feed.data()) as Float32Array;
  if (feed !== images) feed.dispose();
  const shape = inputLayout === "NCHW" ? [images.shape[0], images.shape[3], images.shape[1], images.shape[2]] : images.shape;
  const results = await session.run({ [ONNX_INPUT_NAME]: new Tensor("float32", data, shape) });
  const logits = results[ONNX_OUTPUT_NAME];
  if (!logits) throw new Error(`runOnnxSession: the model has no "${ONNX_OUTPUT_NAME}" output; was it written by graphToOnnx?`);
  return tf.tensor2d(logits.data as Float32Array, logits.dims as [number, number]);
}
