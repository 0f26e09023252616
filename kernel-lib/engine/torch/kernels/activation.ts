/** The activations TF.js fuses into FusedConv2D / _FusedMatMul, applied to a native result. */
import { aten } from "../aten";
import { TensorHandle } from "../native-addon";
import { TorchBackend } from "../backend";

const supported = new Set(["linear", "relu", "relu6", "sigmoid", "elu", "leakyrelu"]);

/** prelu needs a weights tensor; those calls take the cpu fallback. */
export function isSupportedActivation(activation: string | undefined): boolean {
  return activation === undefined || supported.has(activation);
}

/** Returns `handle` itself for 'linear' (caller frees only when a new handle came back). */
export function applyActivation(_backend: TorchBackend, handle: TensorHandle, activation: string | undefined, leakyreluAlpha: number | undefined): TensorHandle {
  switch (activation ?? "linear") {
    case "linear": return handle;
    case "relu": return aten("relu").tensor(handle);
    case "relu6": return aten("hardtanh").tensor(handle, 0, 6);
    case "sigmoid": return aten("sigmoid").tensor(handle);
    case "elu": return aten("elu").tensor(handle);
    case "leakyrelu": return aten("leaky_relu").tensor(handle, leakyreluAlpha ?? 0.2);
    default: throw new Error(`torch backend: activation '${activation}' is not supported`);
  }
}
