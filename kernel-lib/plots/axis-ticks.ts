/**
 * Tick positions and labels for the static (SVG/PNG) charts: "nice" steps of 1, 2 or 5 times a power of
 * ten, as people expect from matplotlib or plotly, and powers of ten on log axes.
 */

export interface AxisScale {
  /** Data value → pixel. */
  toPixel(value: number): number;
  ticks: number[];
  format(value: number): string;
}

/** A step of 1, 2, 2.5 or 5 × 10^k giving about `targetCount` intervals over [min, max]. */
export function niceStep(min: number, max: number, targetCount = 5): number {
  const span = max - min;
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const rough = span / targetCount;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const multiple of [1, 2, 2.5, 5, 10]) if (multiple * power >= rough) return multiple * power;
  return 10 * power;
}

/** Widens [min, max] to whole steps so the outermost ticks sit on the frame. */
export function niceDomain(min: number, max: number, targetCount = 5): [number, number] {
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return [min - pad, max + pad];
  }
  const step = niceStep(min, max, targetCount);
  return [Math.floor(min / step + 1e-9) * step, Math.ceil(max / step - 1e-9) * step];
}

export function linearTicks(min: number, max: number, targetCount = 5): number[] {
  const step = niceStep(min, max, targetCount);
  const ticks: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  // Multiplying the index (rather than accumulating) keeps 0.1 + 0.2-style drift out of the labels.
  for (let i = first; i <= last; i++) ticks.push(i * step);
  return ticks;
}

/** Decades inside [min, max]; adds 2× and 5× when the range spans less than two decades. */
export function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  const multiples = high - low < 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let power = low; power <= high; power++) {
    for (const multiple of multiples) {
      // Parsed from decimal text: 10 ** -4 is 0.00009999999999999999 in floating point, "1e-4" is not.
      const value = Number(`${multiple}e${power}`);
      if (value >= min * (1 - 1e-9) && value <= max * (1 + 1e-9)) ticks.push(value);
    }
  }
  return ticks;
}

/** Short labels: fixed decimals matching the step, scientific notation for tiny or huge values. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e6) return value.toExponential(magnitude.toExponential(1).startsWith("1.0") ? 0 : 1);
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return value.toFixed(decimals);
}

/** A scale over [min, max] mapped onto [pixelStart, pixelEnd] (pixelEnd < pixelStart for y axes). */
export function makeScale(min: number, max: number, pixelStart: number, pixelEnd: number, log: boolean): AxisScale {
  if (log) {
    const logMin = Math.log10(min);
    const logSpan = Math.log10(max) - logMin || 1;
    return {
      toPixel: (value) => pixelStart + ((Math.log10(value) - logMin) / logSpan) * (pixelEnd - pixelStart),
      ticks: logTicks(min, max),
      format: (value) => formatTick(value, value),
    };
  }
  const span = max - min || 1;
  const step = niceStep(min, max);
  return {
    toPixel: (value) => pixelStart + ((value - min) / span) * (pixelEnd - pixelStart),
    ticks: linearTicks(min, max),
    format: (value) => formatTick(value, step),
  };
}
