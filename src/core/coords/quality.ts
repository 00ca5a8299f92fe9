/**
 * How well coordinates follow anatomy, without labels (docs/coords.md, quality measure 1): the Pearson correlation
 * between embedding distances ||e_i - e_j|| and physical distances ||p_i - p_j|| (mm) over pairs of points. The
 * loss only matches distances, so this is invariant to the rotation/reflection the axes are defined up to.
 */
import { nextInt, type Rng } from '../random/rng.js';

export interface EmbeddedPoints {
  /** [n, 3] embeddings. */
  readonly emb: Float32Array;
  /** [n, 3] positions in millimetres. */
  readonly mm: Float32Array;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length || n < 2) throw new Error(`pearson: need two series of equal length >= 2, got ${x.length} and ${y.length}`);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]!; my += y[i]!; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx, dy = y[i]! - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** Pearson over `pairs` random pairs of distinct points (drawn from `rng`). */
export function distanceCorrelation(points: EmbeddedPoints, pairs: number, rng: Rng): number {
  const n = points.emb.length / 3;
  if (n < 2) throw new Error(`distanceCorrelation: need at least 2 points, got ${n}`);
  const de = new Float64Array(pairs), dm = new Float64Array(pairs);
  const dist = (a: Float32Array, i: number, j: number): number => Math.hypot(a[i * 3]! - a[j * 3]!, a[i * 3 + 1]! - a[j * 3 + 1]!, a[i * 3 + 2]! - a[j * 3 + 2]!);
  for (let t = 0; t < pairs; t++) {
    const i = nextInt(rng, n);
    let j = nextInt(rng, n - 1);
    if (j >= i) j++;
    de[t] = dist(points.emb, i, j);
    dm[t] = dist(points.mm, i, j);
  }
  return pearson(de, dm);
}
