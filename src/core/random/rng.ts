/**
 * A seeded, serialisable random number generator: xoshiro128** (Blackman & Vigna) seeded through splitmix32.
 * Its whole state is four uint32 words, so a checkpoint can store it and a resumed run draws exactly the numbers the
 * uninterrupted run would have drawn. Pure integer arithmetic (Math.imul) keeps it bit-identical across platforms.
 *
 * Streams: `createRng(seed, stream)` gives independent sequences for the same seed (e.g. 0 = weight init, 1 = data),
 * so adding a draw to one never shifts the other.
 */

/** The serialisable form stored in checkpoint manifests. */
export interface RngState {
  readonly algorithm: 'xoshiro128**';
  readonly s: readonly [number, number, number, number];
}

/** Mutable generator state; the functions below advance it in place. */
export interface Rng {
  readonly s: Uint32Array;
}

export class RngError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RngError';
  }
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A generator for `seed` (any safe integer) and `stream` (a small integer naming an independent sequence). */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(stream)) {
    throw new RngError(`seed and stream must be safe integers, got seed=${seed} stream=${stream}`);
  }
  const s = new Uint32Array(4);
  // Mix both halves of the seed and the stream so nearby seeds give unrelated states.
  let x = splitmix32((seed >>> 0) ^ splitmix32(Math.floor(seed / 2 ** 32) ^ splitmix32(stream)));
  for (let i = 0; i < 4; i++) {
    x = splitmix32(x + i);
    s[i] = x;
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1; // the all-zero state is a fixed point
  return { s };
}

/** A generator starting from exactly these four words (used by tests against published vectors). */
export function rngFromWords(words: readonly [number, number, number, number]): Rng {
  return restoreRng({ algorithm: 'xoshiro128**', s: words });
}

/** Next uniform uint32. */
export function nextUint32(rng: Rng): number {
  const s = rng.s;
  const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
  const m = Math.imul(s1, 5);
  const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
  const t = s1 << 9;
  const n2 = s2 ^ s0;
  const n3 = s3 ^ s1;
  s[1] = s1 ^ n2;
  s[0] = s0 ^ n3;
  s[2] = n2 ^ t;
  s[3] = (n3 << 11) | (n3 >>> 21);
  return result;
}

/** Uniform in [0, 1) with 53 random bits (two draws). */
export function nextFloat(rng: Rng): number {
  const hi = nextUint32(rng) >>> 5; // 27 bits
  const lo = nextUint32(rng) >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}

/** Uniform integer in [0, n), unbiased (rejection sampling). */
export function nextInt(rng: Rng, n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new RngError(`nextInt: n must be an integer in 1..2^32, got ${n}`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = nextUint32(rng);
    if (x < limit) return x % n;
  }
}

/** Standard normal by Box-Muller; draws a fresh pair each call (no cached spare, so the state is just the 4 words). */
export function nextNormal(rng: Rng): number {
  const u1 = 1 - nextFloat(rng); // (0, 1]: log is finite
  const u2 = nextFloat(rng);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Fills `out` with normal(mean, std) samples. */
export function fillNormal(rng: Rng, out: Float32Array | Float64Array, std = 1, mean = 0): void {
  for (let i = 0; i < out.length; i++) out[i] = mean + std * nextNormal(rng);
}

/** Fills `out` with uniform samples in [lo, hi). */
export function fillUniform(rng: Rng, out: Float32Array | Float64Array, lo = 0, hi = 1): void {
  const span = hi - lo;
  for (let i = 0; i < out.length; i++) out[i] = lo + span * nextFloat(rng);
}

export function saveRng(rng: Rng): RngState {
  return { algorithm: 'xoshiro128**', s: [rng.s[0]!, rng.s[1]!, rng.s[2]!, rng.s[3]!] };
}

/** Parses a stored state (e.g. from a manifest's JSON); throws RngError naming what is wrong. */
export function restoreRng(state: unknown): Rng {
  if (typeof state !== 'object' || state === null) throw new RngError('rng state: expected an object');
  const { algorithm, s } = state as { algorithm?: unknown; s?: unknown };
  if (algorithm !== 'xoshiro128**') throw new RngError(`rng state: unknown algorithm ${JSON.stringify(algorithm)}`);
  if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)) {
    throw new RngError('rng state: "s" must be four uint32 words');
  }
  if (s.every((w) => w === 0)) throw new RngError('rng state: all-zero state is invalid for xoshiro128**');
  return { s: Uint32Array.from(s as number[]) };
}
