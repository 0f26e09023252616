import * as tf from "@tensorflow/tfjs";
import { loadTorchBackend, type TorchBackendStatus } from "../../kernel-lib/engine";

type AvailableTorch = Extract<TorchBackendStatus, { available: true }>;

/** Activates backend torch for a bench; when it is not built, says why and how to fix it, sets exit code 1 and returns undefined. */
export async function useTorchBackendOrExit(): Promise<AvailableTorch | undefined> {
  const status = loadTorchBackend();
  if (!status.available) {
    console.error(`backend torch unavailable: ${status.reason}\nfix: ${status.fix}`);
    process.exitCode = 1;
    return undefined;
  }
  await tf.setBackend("torch");
  return status;
}
