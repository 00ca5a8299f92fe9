/**
 * Models Genesis' restorative pretext task (Zhou et al. 2019; MrGiovanni/ModelsGenesis, pytorch/utils.py) as plain
 * data code on one patch: the network sees `input` and learns to reconstruct `target` (MSE, sigmoid output).
 * Per sample, in the reference's order and with its published parameters (../shared/notes/pretraining.md):
 *   1. flip input AND target: while rand < 0.4, at most 3 times, flip a random axis
 *   2. local pixel shuffle (p 0.5): 10,000 random blocks of 1..dim/10 voxels per axis, voxels permuted in each
 *   3. non-linear intensity (p 0.9): a cubic Bezier curve through (0,0) and (1,1) with two random control points,
 *      applied by interpolation; in half of the cases the mapping is inverted (1 -> 0)
 *   4. painting (p 0.9): in-painting (p 0.2: up to 5 boxes of dim/6..dim/3 filled with U[0,1)), else out-painting
 *      (everything U[0,1) except one box of side dim - U{3dim/7..4dim/7}, plus up to 4 more boxes, restored)
 * Inputs are expected in [0, 1] (the reference maps HU -1000..1000 there). A patch is `dims` = [ni, nj, nk] with
 * i fastest, the project's grid order; Genesis' (rows, cols, deps) = 64x64x32 is the same order.
 * Draws come from the project's seeded RNG, so a sample is a pure function of (rng state, patch); the exact numbers
 * differ from the reference's (it uses Python's `random` and numpy), the distributions do not.
 */
import { voxelIndex, type Dims } from '../preprocess/grid.js';
import { nextFloat, nextInt, type Rng } from '../random/rng.js';

export interface GenesisPatch {
  readonly dims: Dims;
  readonly data: Float32Array;
}

export interface GenesisConfig {
  /** Continue-flipping probability (`flip_rate`). */
  readonly flipRate: number;
  /** Probability of the local pixel shuffle (`local_rate`). */
  readonly localRate: number;
  /** Blocks shuffled per sample (`num_block`). */
  readonly shuffleBlocks: number;
  /** Probability of the Bezier intensity transform (`nonlinear_rate`). */
  readonly nonlinearRate: number;
  /** Points sampled along the Bezier curve (`nTimes`). */
  readonly bezierPoints: number;
  /** Probability of any painting (`paint_rate`). */
  readonly paintRate: number;
  /** Share of paintings that are in-painting (`inpaint_rate` = 1 - `outpaint_rate`). */
  readonly inpaintRate: number;
}

export const GENESIS_DEFAULTS: GenesisConfig = Object.freeze({
  flipRate: 0.4, localRate: 0.5, shuffleBlocks: 10000, nonlinearRate: 0.9, bezierPoints: 100000, paintRate: 0.9, inpaintRate: 0.2,
});

/** Python's random.randint(lo, hi): both ends inclusive. */
function randint(rng: Rng, lo: number, hi: number): number {
  return lo + nextInt(rng, hi - lo + 1);
}

/** A copy of `data` flipped along `axis` (0 = i, 1 = j, 2 = k). */
export function flipAxis(patch: GenesisPatch, axis: 0 | 1 | 2): Float32Array {
  const [ni, nj, nk] = patch.dims;
  const out = new Float32Array(patch.data.length);
  const src = patch.data;
  let n = 0;
  for (let k = 0; k < nk; k++) {
    for (let j = 0; j < nj; j++) {
      for (let i = 0; i < ni; i++, n++) {
        const m = axis === 0 ? voxelIndex(patch.dims, ni - 1 - i, j, k) : axis === 1 ? voxelIndex(patch.dims, i, nj - 1 - j, k) : voxelIndex(patch.dims, i, j, nk - 1 - k);
        out[n] = src[m]!;
      }
    }
  }
  return out;
}

/** The axes Genesis flips for one sample, in order (0..3 of them). */
export function drawFlips(rng: Rng, flipRate = GENESIS_DEFAULTS.flipRate): (0 | 1 | 2)[] {
  const axes: (0 | 1 | 2)[] = [];
  while (axes.length < 3 && nextFloat(rng) < flipRate) axes.push(nextInt(rng, 3) as 0 | 1 | 2);
  return axes;
}

/** An axis-aligned box [start, start + size) in voxels. */
interface Box {
  readonly start: readonly [number, number, number];
  readonly size: readonly [number, number, number];
}

function forBox(dims: Dims, box: Box, body: (n: number) => void): void {
  const [si, sj, sk] = box.start;
  const [bi, bj, bk] = box.size;
  for (let k = sk; k < sk + bk; k++) for (let j = sj; j < sj + bj; j++) {
    const row = voxelIndex(dims, si, j, k);
    for (let i = 0; i < bi; i++) body(row + i);
  }
}

/**
 * Local pixel shuffle: `blocks` boxes of 1..max(1, dim/10) voxels per axis at uniform positions; each box's voxels
 * are read from the ORIGINAL patch, permuted, and written to the output (as the reference does, so overlapping
 * boxes overwrite each other but never shuffle already-shuffled voxels).
 */
export function localPixelShuffle(rng: Rng, patch: GenesisPatch, blocks = GENESIS_DEFAULTS.shuffleBlocks): Float32Array {
  const { dims, data } = patch;
  const out = Float32Array.from(data);
  const window = new Float32Array(dims.reduce((n, d) => n * Math.max(1, Math.floor(d / 10)), 1));
  for (let b = 0; b < blocks; b++) {
    const size = dims.map((d) => randint(rng, 1, Math.max(1, Math.floor(d / 10)))) as [number, number, number];
    const start = dims.map((d, a) => randint(rng, 0, d - size[a]!)) as [number, number, number];
    const box = { start, size };
    let count = 0;
    forBox(dims, box, (n) => { window[count++] = data[n]!; });
    for (let i = count - 1; i > 0; i--) { // Fisher-Yates, like np.random.shuffle
      const j = nextInt(rng, i + 1);
      const t = window[i]!;
      window[i] = window[j]!;
      window[j] = t;
    }
    count = 0;
    forBox(dims, box, (n) => { out[n] = window[count++]!; });
  }
  return out;
}

/** A monotone-or-inverted intensity mapping sampled from a cubic Bezier curve, as np.interp's (xp, fp). */
export interface IntensityCurve {
  readonly controls: readonly [[number, number], [number, number]];
  readonly inverted: boolean;
  readonly xs: Float64Array;
  readonly ys: Float64Array;
}

/**
 * Genesis' curve: points (0,0), c1, c2, (1,1), sampled at `count` parameters with the reference's Bernstein order
 * (t = 0 gives (1,1)). x is sorted so interpolation is defined; sorting y too gives a non-decreasing map from 0 to 0 and
 * 1 to 1; leaving y in curve order pairs rising x with falling y: the inverted map, 0 to 1 and 1 to 0.
 */
export function intensityCurve(controls: readonly [[number, number], [number, number]], inverted: boolean, count = GENESIS_DEFAULTS.bezierPoints): IntensityCurve {
  const points = [[0, 0], controls[0], controls[1], [1, 1]] as const;
  const binomial = [1, 3, 3, 1] as const;
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    const t = s / (count - 1);
    let x = 0;
    let y = 0;
    for (let i = 0; i < 4; i++) {
      const w = binomial[i]! * t ** (3 - i) * (1 - t) ** i; // bernstein_poly(i, 3, t) as the reference writes it
      x += w * points[i]![0];
      y += w * points[i]![1];
    }
    xs[s] = x;
    ys[s] = y;
  }
  xs.sort();
  if (!inverted) ys.sort();
  return { controls, inverted, xs, ys };
}

export function drawIntensityCurve(rng: Rng, count = GENESIS_DEFAULTS.bezierPoints): IntensityCurve {
  const controls: [[number, number], [number, number]] = [[nextFloat(rng), nextFloat(rng)], [nextFloat(rng), nextFloat(rng)]];
  return intensityCurve(controls, nextFloat(rng) < 0.5, count);
}

/** np.interp(data, xs, ys): piecewise linear, clamped to the end values outside [xs[0], xs[last]]. */
export function applyIntensityCurve(data: Float32Array, curve: IntensityCurve): Float32Array {
  const { xs, ys } = curve;
  const last = xs.length - 1;
  const out = new Float32Array(data.length);
  for (let n = 0; n < data.length; n++) {
    const v = data[n]!;
    if (v <= xs[0]!) { out[n] = ys[0]!; continue; }
    if (v >= xs[last]!) { out[n] = ys[last]!; continue; }
    let lo = 0; // invariant: xs[lo] < v <= xs[hi]
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid]! < v) lo = mid;
      else hi = mid;
    }
    const span = xs[hi]! - xs[lo]!;
    out[n] = span > 0 ? ys[lo]! + ((v - xs[lo]!) / span) * (ys[hi]! - ys[lo]!) : ys[hi]!;
  }
  return out;
}

/**
 * A box start in [3, dim - size - 3] as the reference draws it (3 voxels from each face); patches too small for that
 * margin fall back to [0, dim - size] instead of failing.
 */
function boxStart(rng: Rng, dim: number, size: number): number {
  return dim - size - 3 >= 3 ? randint(rng, 3, dim - size - 3) : randint(rng, 0, Math.max(0, dim - size));
}

/** In-painting: while rand < 0.95, at most 5 times, a box of dim/6..dim/3 per axis filled with U[0, 1). */
export function inPaint(rng: Rng, patch: GenesisPatch): Float32Array {
  const { dims } = patch;
  const out = Float32Array.from(patch.data);
  for (let cnt = 5; cnt > 0 && nextFloat(rng) < 0.95; cnt--) {
    const size = dims.map((d) => Math.max(1, randint(rng, Math.floor(d / 6), Math.floor(d / 3)))) as [number, number, number];
    const start = dims.map((d, a) => boxStart(rng, d, size[a]!)) as [number, number, number];
    forBox(dims, { start, size }, (n) => { out[n] = nextFloat(rng); });
  }
  return out;
}

/**
 * Out-painting: everything U[0, 1), then one box of side dim - U{3dim/7..4dim/7} per axis restored from the patch,
 * and while rand < 0.95, at most 4 more such boxes.
 */
export function outPaint(rng: Rng, patch: GenesisPatch): Float32Array {
  const { dims, data } = patch;
  const out = new Float32Array(data.length);
  for (let n = 0; n < out.length; n++) out[n] = nextFloat(rng);
  const restoreBox = (): void => {
    const size = dims.map((d) => d - randint(rng, Math.floor((3 * d) / 7), Math.floor((4 * d) / 7))) as [number, number, number];
    const start = dims.map((d, a) => boxStart(rng, d, size[a]!)) as [number, number, number];
    forBox(dims, { start, size }, (n) => { out[n] = data[n]!; });
  };
  restoreBox();
  for (let cnt = 4; cnt > 0 && nextFloat(rng) < 0.95; cnt--) restoreBox();
  return out;
}

/** What `genesisSample` did, for logs and tests. */
export interface GenesisTrace {
  readonly flips: readonly (0 | 1 | 2)[];
  readonly shuffled: boolean;
  readonly curve: IntensityCurve | undefined;
  readonly painting: 'in' | 'out' | undefined;
}

/** One training pair: `target` is the (flipped) patch, `input` the same patch corrupted by steps 2-4. */
export function genesisSample(rng: Rng, patch: GenesisPatch, cfg: GenesisConfig = GENESIS_DEFAULTS): { input: Float32Array; target: Float32Array; trace: GenesisTrace } {
  if (patch.data.length !== patch.dims[0] * patch.dims[1] * patch.dims[2]) throw new Error(`genesis: ${patch.data.length} values for dims [${patch.dims.join(', ')}]`);
  const flips = drawFlips(rng, cfg.flipRate);
  let target = patch.data;
  for (const axis of flips) target = flipAxis({ dims: patch.dims, data: target }, axis);
  if (flips.length === 0) target = Float32Array.from(target); // never alias the caller's array
  let input = target;
  const shuffled = nextFloat(rng) < cfg.localRate;
  if (shuffled) input = localPixelShuffle(rng, { dims: patch.dims, data: input }, cfg.shuffleBlocks);
  let curve: IntensityCurve | undefined;
  if (nextFloat(rng) < cfg.nonlinearRate) {
    curve = drawIntensityCurve(rng, cfg.bezierPoints);
    input = applyIntensityCurve(input, curve);
  }
  let painting: 'in' | 'out' | undefined;
  if (nextFloat(rng) < cfg.paintRate) {
    painting = nextFloat(rng) < cfg.inpaintRate ? 'in' : 'out';
    input = painting === 'in' ? inPaint(rng, { dims: patch.dims, data: input }) : outPaint(rng, { dims: patch.dims, data: input });
  }
  if (input === target) input = Float32Array.from(target);
  return { input, target, trace: { flips, shuffled, curve, painting } };
}
