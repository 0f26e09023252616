/**
 * The sigmoid-shaped ramp-up of Laine & Aila (2017), used by Mean Teacher for the consistency weight:
 * `exp(-5 (1 - t)^2)` with `t = current / length` clipped to [0, 1]. Starting near zero matters: early
 * teacher predictions are noise, and a full-weight consistency term would pull the student towards it.
 */
export function sigmoidRampUp(current: number, rampUpLength: number): number {
  if (!Number.isFinite(current)) throw new Error(`sigmoidRampUp: current must be a finite number, got ${current}`);
  if (!(rampUpLength >= 0)) throw new Error(`sigmoidRampUp: rampUpLength must be >= 0 (0 disables the ramp-up), got ${rampUpLength}`);
  if (rampUpLength === 0) return 1;
  const progress = Math.min(Math.max(current, 0), rampUpLength) / rampUpLength;
  const remaining = 1 - progress;
  return Math.exp(-5 * remaining * remaining);
}
