/**
 * Generic fallback: a kernel with no torch implementation runs the cpu backend's kernel on copies of its
 * inputs, and the results are copied back. Slow but never wrong, so any TF.js op works on backend torch.
 */
import * as tf from "@tensorflow/tfjs";
import { TorchBackend } from "../backend";

function cpuBackend(): tf.KernelBackend {
  const backend = tf.findBackend("cpu");
  if (!backend) throw new Error("torch backend: the cpu backend (needed for fallback kernels) is not registered");
  // The cpu backend greets its first write in Node with advice to install tfjs-node; here it is only a
  // helper for rare kernels, and that advice would mislead notebook users.
  const greeting = backend as unknown as { firstUse?: boolean };
  if (greeting.firstUse) greeting.firstUse = false;
  return backend;
}

type KernelInputs = tf.NamedTensorInfoMap | tf.TensorInfo[];

function mapInputs(inputs: KernelInputs, copy: (info: tf.TensorInfo) => tf.TensorInfo): KernelInputs {
  if (Array.isArray(inputs)) return inputs.map(copy);
  const mapped: tf.NamedTensorInfoMap = {};
  for (const [name, info] of Object.entries(inputs)) if (info) mapped[name] = copy(info);
  return mapped;
}

export function runKernelOnCpu(kernelName: string, inputs: tf.NamedTensorInfoMap, torch: TorchBackend, attrs: tf.NamedAttrMap): tf.TensorInfo | tf.TensorInfo[] {
  const cpuKernel = tf.getKernel(kernelName, "cpu");
  if (!cpuKernel) throw new Error(`kernel ${kernelName} not implemented on backend torch (and the cpu backend has none to fall back to)`);
  const cpu = cpuBackend();
  const cpuDataIds: object[] = [];
  const cpuInputs = mapInputs(inputs as KernelInputs, (info) => {
    const dataId = cpu.write(torch.readSync(info.dataId), info.shape, info.dtype);
    cpuDataIds.push(dataId);
    return { dataId, shape: info.shape, dtype: info.dtype };
  });
  const cpuResult = cpuKernel.kernelFunc({ inputs: cpuInputs as tf.NamedTensorInfoMap, backend: cpu, attrs });
  const cpuOutputs = Array.isArray(cpuResult) ? cpuResult : [cpuResult];
  const outputs = cpuOutputs.map((output) => {
    const copied = torch.makeTensorInfo(output.shape, output.dtype, cpu.readSync(output.dataId));
    cpu.disposeData(output.dataId);
    return copied;
  });
  // Each disposeData drops one reference: outputs that alias an input (Identity-like kernels) were given
  // an extra reference by the cpu kernel, so input and output disposal balance out.
  for (const dataId of cpuDataIds) cpu.disposeData(dataId);
  return Array.isArray(cpuResult) ? outputs : outputs[0];
}

/** Registers the cpu fallback for every kernel the cpu backend has and backend torch does not. */
export function registerCpuFallbacks(): string[] {
  const registered: string[] = [];
  for (const cpuKernel of tf.getKernelsForBackend("cpu")) {
    if (tf.getKernel(cpuKernel.kernelName, "torch")) continue;
    const kernelName = cpuKernel.kernelName;
    tf.registerKernel({
      kernelName,
      backendName: "torch",
      kernelFunc: ({ inputs, backend, attrs }) => runKernelOnCpu(kernelName, inputs, backend as TorchBackend, attrs ?? {}),
    });
    registered.push(kernelName);
  }
  return registered;
}
