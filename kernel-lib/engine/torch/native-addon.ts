/**
 * The compiled addon's surface (native/src/addon.cc) and where it is loaded from. Tensors live in a
 * handle table inside the addon; TypeScript only ever sees integer handles.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Integer key of one at::Tensor in the addon's table. */
export type TensorHandle = number;

/** What `call` accepts per schema argument: the addon converts by the operator's declared types. */
export type AtenArgument = TensorHandle | number | boolean | string | null | undefined | readonly number[] | readonly boolean[];

export type AtenResult = TensorHandle | number | boolean | null | AtenResult[];

export interface AddonConfiguration {
  device: "cpu" | "cuda";
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  threads: number;
  tf32Conv: boolean;
  tf32Matmul: boolean;
  version: string;
}

export interface TorchAddon {
  op(name: string, overload: string): number;
  call(operatorIndex: number, args: readonly AtenArgument[]): AtenResult;
  fromBuffer(values: ArrayBufferView, shape: readonly number[], dtypeCode: number): TensorHandle;
  toBuffer(handle: TensorHandle, dtypeCode: number): ArrayBuffer;
  /** An ArrayBuffer over a new CPU tensor's memory, for JS to fill and `adoptStaging` to take without a copy. */
  stagingBuffer(elements: number, dtypeCode: number): ArrayBuffer;
  /** A tensor on a staging buffer's memory: a view on the CPU (no copy), a copy on a GPU. */
  adoptStaging(buffer: ArrayBuffer, shape: readonly number[], dtypeCode: number): TensorHandle;
  /** Whether a tensor still uses a staging buffer's memory (then JS must not write it). */
  stagingInUse(buffer: ArrayBuffer): boolean;
  dispose(handle: TensorHandle): void;
  shape(handle: TensorHandle): number[];
  liveCount(): number;
  configure(options: { threads?: number; device?: "cpu" | "cuda"; tf32Conv?: boolean; tf32Matmul?: boolean }): AddonConfiguration;
}

/** dtype codes understood by fromBuffer/toBuffer (addon.cc scalarTypeFromCode). */
export const addonDtypeCode = { float32: 0, int32: 1, bool: 2, int64: 3, uint8: 4 } as const;

/** ATen ScalarType numbers, for schema arguments typed `ScalarType`. */
export const atenScalarType = { uint8: 0, int32: 3, int64: 4, float32: 6, bool: 11 } as const;

/** ATen MemoryFormat numbers, for schema arguments typed `MemoryFormat`. */
export const atenMemoryFormat = { contiguous: 0, preserve: 1, channelsLast: 2 } as const;

// tslab evaluates notebook-imported modules without __dirname; its kernel runs from the repository root.
const engineDirectory = typeof __dirname === "string" ? __dirname : path.join(process.cwd(), "kernel-lib", "engine", "torch");
export const nativeDirectory = path.join(engineDirectory, "native");
export const addonPath = path.join(nativeDirectory, "build", "Release", "torch_engine.node");
export const buildMarkerPath = path.join(nativeDirectory, "build", "engine.json");

let loadedAddon: TorchAddon | undefined;

/** Loads the addon once; throws with the build marker's reason when it was not built. */
export function loadAddon(): TorchAddon {
  if (loadedAddon) return loadedAddon;
  if (!fs.existsSync(addonPath)) {
    let reason = "the native addon was never built";
    try {
      const marker = JSON.parse(fs.readFileSync(buildMarkerPath, "utf8")) as { built?: boolean; reason?: string };
      if (marker.built === false && marker.reason) reason = `the last build did not succeed: ${marker.reason}`;
    } catch {
      // No marker: the build script never ran (e.g. npm install --ignore-scripts).
    }
    throw new Error(`${addonPath} is missing (${reason})`);
  }
  loadedAddon = withPassiveOpenMpWait(() => require(addonPath) as TorchAddon);
  return loadedAddon;
}

/**
 * Loads libtorch's OpenMP runtime (libgomp reads its settings once, when it is loaded) with idle threads
 * sleeping instead of spinning, unless the user chose a policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT).
 * Spinning is libgomp's default and PyTorch's; on a machine whose cores other processes also use, a
 * thread spinning at the end of each parallel region holds the core its partner waits for, and every
 * kernel then costs a scheduler time slice. Measured on 2 shared cores (load 3.5), batch-1 CIFAR ResNet18:
 * 108 ms median spinning, 14 ms passive (test/bench/engine-latency.ts). The price on an idle machine is
 * about 6% of batch-32 throughput; GOMP_SPINCOUNT=300000 restores libgomp's default. The variable is
 * removed again so that processes started later (a PyTorch reference, say) keep their own defaults.
 */
function withPassiveOpenMpWait<T>(load: () => T): T {
  if (process.env.OMP_WAIT_POLICY !== undefined || process.env.GOMP_SPINCOUNT !== undefined) return load();
  process.env.OMP_WAIT_POLICY = "PASSIVE";
  try {
    return load();
  } finally {
    delete process.env.OMP_WAIT_POLICY;
  }
}

/** The loaded addon; kernels run only after loadTorchBackend() succeeded, so this cannot be missing. */
export function addon(): TorchAddon {
  if (!loadedAddon) throw new Error("torch engine: the addon is not loaded; call loadTorchBackend() first");
  return loadedAddon;
}
