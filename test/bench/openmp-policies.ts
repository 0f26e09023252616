/**
 * One line for a benchmark's header: which OpenMP wait policy each side runs with. Backend torch loads
 * libgomp passive unless the user chose a policy (kernel-lib/engine/torch/native-addon.ts); PyTorch keeps
 * libgomp's default, spinning. On a shared machine that difference alone moves the ratios several-fold,
 * so a fair engine-to-engine comparison sets the same policy for both: OMP_WAIT_POLICY=PASSIVE, or
 * GOMP_SPINCOUNT=300000 (libgomp's default). Not OMP_WAIT_POLICY=ACTIVE: its threads spin without end, so
 * whichever engine is idle in an alternating benchmark keeps a core busy and halves the other's speed.
 */
export function openMpPolicies(): string {
  const chosen = process.env.OMP_WAIT_POLICY ?? (process.env.GOMP_SPINCOUNT !== undefined ? `GOMP_SPINCOUNT=${process.env.GOMP_SPINCOUNT}` : undefined);
  if (chosen) return `OpenMP wait: ${chosen} for both engines`;
  return "OpenMP wait: backend torch PASSIVE (engine default), PyTorch spinning (libgomp default); OMP_WAIT_POLICY=PASSIVE or GOMP_SPINCOUNT=300000 sets both";
}
