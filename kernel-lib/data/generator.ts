/**
 * A seeded random number generator, the analogue of `torch.Generator`: transforms, samplers and
 * splits take one so that a run repeats exactly, and its state can be saved into a checkpoint.
 * The algorithm is xoshiro128** (fast, 128-bit state, good statistical quality for augmentation).
 */
export type GeneratorState = readonly [number, number, number, number];

export class Generator {
  private s = new Uint32Array(4);
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the state from a seed, like `torch.Generator().manual_seed(seed)`. */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new Error(`Generator.manualSeed: seed must be a finite number, got ${seed}`);
    // splitmix32 spreads a small integer seed over the whole 128-bit state.
    let x = Math.floor(seed) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
    this.spareNormal = null;
    return this;
  }

  getState(): GeneratorState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  setState(state: GeneratorState): this {
    if (state.length !== 4 || state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error("Generator.setState: expected four unsigned 32-bit integers from getState()");
    }
    this.s.set(state);
    this.spareNormal = null;
    return this;
  }

  /** Next raw unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  random(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** Integer uniform in [low, high), like `torch.randint(low, high, ())`. */
  randint(low: number, high: number): number {
    if (!(high > low)) throw new Error(`Generator.randint: empty range [${low}, ${high})`);
    return low + Math.floor(this.random() * (high - low));
  }

  /** Standard normal sample (Box-Muller, caching the second value). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** A random permutation of 0..n-1, like `torch.randperm(n)` (Fisher-Yates). */
  randperm(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  /** An independent generator seeded from this one (e.g. one per data-loading epoch). */
  spawn(): Generator {
    return new Generator(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
