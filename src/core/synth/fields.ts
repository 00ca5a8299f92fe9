import { nextNormal, type Rng } from '../random/rng.js';

/**
 * Random fields and filters on 3D grids (x fastest: `n = i + nx * (j + ny * k)`), shared by the deformation, the
 * texture, the bias field and the noise. Everything works in place or into preallocated arrays; no per-voxel allocation.
 */

export type Dims3 = readonly [number, number, number];

/** For each voxel index along one axis: the lower control point and the weight of the upper one. */
export interface AxisTable {
  readonly lo: Int32Array;
  readonly w: Float32Array;
}

/**
 * Maps n voxels onto cn control points spanning the same extent (first and last voxel centres on the end points).
 * `smooth` uses the smoothstep weight 3w^2 - 2w^3, whose derivative vanishes at control points, so upsampled
 * textures show no creases along control planes.
 */
export function axisTable(n: number, cn: number, smooth = false): AxisTable {
  const lo = new Int32Array(n);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = n === 1 || cn === 1 ? 0 : (i * (cn - 1)) / (n - 1);
    const l = Math.min(Math.floor(x), Math.max(cn - 2, 0));
    const f = cn === 1 ? 0 : x - l;
    lo[i] = l;
    w[i] = smooth ? f * f * (3 - 2 * f) : f;
  }
  return { lo, w };
}

/** Control points needed to cover `extentMm` at about `spacingMm` apart (at least 2). */
export function controlCount(extentMm: number, spacingMm: number): number {
  return Math.max(2, Math.round(extentMm / spacingMm) + 1);
}

/** Trilinear lookup in a coarse grid at the voxel whose per-axis table entries are given. */
export function sampleCoarse(coarse: Float32Array, cdims: Dims3, tx: AxisTable, ty: AxisTable, tz: AxisTable, i: number, j: number, k: number): number {
  const cx = cdims[0], cxy = cdims[0] * cdims[1];
  const wx = tx.w[i]!, wy = ty.w[j]!, wz = tz.w[k]!;
  // Offsets to the upper neighbours; 0 on an axis with a single control point.
  const ox = cdims[0] > 1 ? 1 : 0, oy = cdims[1] > 1 ? cx : 0, oz = cdims[2] > 1 ? cxy : 0;
  const b = tx.lo[i]! + cx * ty.lo[j]! + cxy * tz.lo[k]!;
  const c00 = coarse[b]! + wx * (coarse[b + ox]! - coarse[b]!);
  const c10 = coarse[b + oy]! + wx * (coarse[b + oy + ox]! - coarse[b + oy]!);
  const c01 = coarse[b + oz]! + wx * (coarse[b + oz + ox]! - coarse[b + oz]!);
  const c11 = coarse[b + oz + oy]! + wx * (coarse[b + oz + oy + ox]! - coarse[b + oz + oy]!);
  const c0 = c00 + wy * (c10 - c00);
  return c0 + wz * (c01 + wy * (c11 - c01) - c0);
}

/** A coarse grid of standard normal values, `cdims` control points. */
export function randomCoarse(rng: Rng, cdims: Dims3): Float32Array {
  const out = new Float32Array(cdims[0] * cdims[1] * cdims[2]);
  for (let n = 0; n < out.length; n++) out[n] = nextNormal(rng);
  return out;
}

/**
 * A smooth random field with about unit variance at control points `controlMm` apart, upsampled with smoothstep
 * weights. Adds `scale * field` into `out` (so several fields can share one buffer).
 */
export function addSmoothField(rng: Rng, out: Float32Array, dims: Dims3, spacingMm: Dims3, controlMm: number, scale: number): void {
  const cdims = dims.map((n, a) => controlCount((n - 1) * spacingMm[a]!, controlMm)) as unknown as Dims3;
  const coarse = randomCoarse(rng, cdims);
  const [tx, ty, tz] = [0, 1, 2].map((a) => axisTable(dims[a]!, cdims[a]!, true)) as [AxisTable, AxisTable, AxisTable];
  let n = 0;
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, n++) out[n]! += scale * sampleCoarse(coarse, cdims, tx, ty, tz, i, j, k);
    }
  }
}

/**
 * Depth of each labeled voxel inside its own label (6-connected city-block layers): 1 on the boundary (a neighbour
 * with another label or the grid edge), 2 one layer in, ..., capped at `maxDepth`; 0 for background.
 * Breadth-first from the boundary, O(voxels).
 */
export function labelDepth(labels: Uint8Array, dims: Dims3, maxDepth: number): Uint8Array {
  const [nx, ny, nz] = dims;
  const sxy = nx * ny;
  const depth = new Uint8Array(labels.length);
  let frontier: number[] = [];
  let n = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, n++) {
        const l = labels[n]!;
        if (l === 0) continue;
        const edge = i === 0 || j === 0 || k === 0 || i === nx - 1 || j === ny - 1 || k === nz - 1;
        if (edge || labels[n - 1] !== l || labels[n + 1] !== l || labels[n - nx] !== l || labels[n + nx] !== l || labels[n - sxy] !== l || labels[n + sxy] !== l) {
          depth[n] = 1;
          frontier.push(n);
        }
      }
    }
  }
  for (let d = 2; d <= maxDepth && frontier.length > 0; d++) {
    const next: number[] = [];
    for (const v of frontier) {
      const l = labels[v]!;
      const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / sxy);
      const visit = (u: number) => {
        if (depth[u] === 0 && labels[u] === l) {
          depth[u] = d;
          next.push(u);
        }
      };
      if (i > 0) visit(v - 1);
      if (i < nx - 1) visit(v + 1);
      if (j > 0) visit(v - nx);
      if (j < ny - 1) visit(v + nx);
      if (k > 0) visit(v - sxy);
      if (k < nz - 1) visit(v + sxy);
    }
    frontier = next;
  }
  // Voxels never reached lie deeper than maxDepth.
  for (let v = 0; v < labels.length; v++) if (labels[v] !== 0 && depth[v] === 0) depth[v] = maxDepth;
  return depth;
}
