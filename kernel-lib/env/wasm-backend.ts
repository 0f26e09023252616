/**
 * Makes TF.js's wasm backend usable from Node for training: .wasm files loaded from node_modules
 * (no network, no bundler), the missing Conv2DBackpropFilter kernel registered and the slow
 * Conv2DBackpropInput replaced by one built on the fast forward conv.
 *
 * Threads: tfjs-backend-wasm turns multi-threading off under Node (its worker script is loaded from a
 * `blob:` URL, which Node's worker_threads cannot run), so the SIMD single-threaded binary is used.
 * Enabling threads would mean patching the backend's Emscripten loader; not done here.
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { registerWasmConv2dBackpropFilter } from "./wasm-conv2d-backprop-filter";
import { registerWasmConv2dBackpropInput } from "./wasm-conv2d-backprop-input";

export function wasmBinaryDirectory(): string {
  const packageJson = require.resolve("@tensorflow/tfjs-backend-wasm/package.json");
  return path.join(path.dirname(packageJson), "dist") + path.sep;
}

let wasmLoaded = false;

/** Loads the wasm backend module and registers it (does not activate it). */
export function prepareWasmBackend(): void {
  if (wasmLoaded) return;
  // Lazy require: importing the package registers the backend, which we only want when asked for.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wasm = require("@tensorflow/tfjs-backend-wasm") as { setWasmPaths(prefix: string): void };
  wasm.setWasmPaths(wasmBinaryDirectory());
  registerWasmConv2dBackpropFilter();
  registerWasmConv2dBackpropInput();
  wasmLoaded = true;
}

/** Activates the wasm backend; resolves false (with TF.js's warning) when it cannot start. */
export async function useWasmBackend(): Promise<boolean> {
  prepareWasmBackend();
  const ok = await tf.setBackend("wasm");
  await tf.ready();
  return ok;
}
