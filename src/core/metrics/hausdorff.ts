import { PreprocessError, type Dims } from '../preprocess/grid.js';
import { squaredDistanceToFeatures } from './distance.js';

/**
 * Surface voxels as MONAI's `get_mask_edges`: mask XOR its binary erosion with the 6-neighbour cross, the outside of
 * the volume counting as background (scipy's `binary_erosion` border_value 0).
 */
export function surfaceVoxels(mask: Uint8Array, dims: Dims): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(mask.length);
  const plane = nx * ny;
  let n = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, n++) {
    if (!mask[n]) continue;
    const interior = i > 0 && i < nx - 1 && j > 0 && j < ny - 1 && k > 0 && k < nz - 1 &&
      mask[n - 1] && mask[n + 1] && mask[n - nx] && mask[n + nx] && mask[n - plane] && mask[n + plane];
    if (!interior) out[n] = 1;
  }
  return out;
}

/** numpy's default (linear) percentile of unsorted values. */
export function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Symmetric percentile Hausdorff distance in mm, as MONAI's `compute_hausdorff_distance(percentile=95,
 * directed=False)` with `spacing`: the larger of the two directed q-th percentiles of surface-to-surface distances
 * (each surface voxel of one mask to the nearest surface voxel of the other).
 * NaN when either mask is empty (MONAI returns nan there too, with a warning); accumulators skip NaN and count it.
 * The distance transform runs on the bounding box of both masks only: every surface voxel lies inside it, so the
 * distances are unchanged and a small organ in a large CT costs little.
 */
export function hausdorffDistance(pred: Uint8Array, ref: Uint8Array, dims: Dims, spacingMm: readonly [number, number, number], q = 95): number {
  const count = dims[0] * dims[1] * dims[2];
  if (pred.length !== count || ref.length !== count) throw new PreprocessError(`hausdorffDistance: masks must hold ${dims.join('x')} voxels`);
  const box = unionBox(pred, ref, dims);
  if (!box) return NaN;
  const a = cropMask(pred, dims, box), b = cropMask(ref, dims, box);
  const edgesA = surfaceVoxels(a.data, a.dims), edgesB = surfaceVoxels(b.data, b.dims);
  if (!edgesA.includes(1) || !edgesB.includes(1)) return NaN;
  const toB = directedDistances(edgesA, squaredDistanceToFeatures(edgesB, a.dims, spacingMm));
  const toA = directedDistances(edgesB, squaredDistanceToFeatures(edgesA, a.dims, spacingMm));
  return Math.max(percentile(toB, q), percentile(toA, q));
}

/** HD95 of two label maps for each class; NaN where the class is missing from either. */
export function hausdorffPerClass(pred: Uint8Array, ref: Uint8Array, dims: Dims, spacingMm: readonly [number, number, number], classes: readonly number[], q = 95): number[] {
  return classes.map((c) => hausdorffDistance(binary(pred, c), binary(ref, c), dims, spacingMm, q));
}

function binary(labels: Uint8Array, c: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let n = 0; n < labels.length; n++) out[n] = labels[n] === c ? 1 : 0;
  return out;
}

function directedDistances(from: Uint8Array, squared: Float64Array): Float64Array {
  let n = 0;
  for (const v of from) n += v;
  const out = new Float64Array(n);
  let o = 0;
  for (let v = 0; v < from.length; v++) if (from[v]) out[o++] = Math.sqrt(squared[v]!);
  return out;
}

function unionBox(a: Uint8Array, b: Uint8Array, dims: Dims): { start: number[]; stop: number[] } | undefined {
  const start = [Infinity, Infinity, Infinity], stop = [-1, -1, -1];
  let n = 0;
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, n++) {
    if (!a[n] && !b[n]) continue;
    const p = [i, j, k];
    for (let x = 0; x < 3; x++) { start[x] = Math.min(start[x]!, p[x]!); stop[x] = Math.max(stop[x]!, p[x]! + 1); }
  }
  return stop[0]! < 0 ? undefined : { start, stop };
}

function cropMask(mask: Uint8Array, dims: Dims, box: { start: number[]; stop: number[] }): { data: Uint8Array; dims: [number, number, number] } {
  const d = [0, 1, 2].map((a) => box.stop[a]! - box.start[a]!) as [number, number, number];
  const out = new Uint8Array(d[0] * d[1] * d[2]);
  let o = 0;
  for (let k = 0; k < d[2]; k++) for (let j = 0; j < d[1]; j++) {
    const src = box.start[0]! + dims[0] * (box.start[1]! + j + dims[1] * (box.start[2]! + k));
    out.set(mask.subarray(src, src + d[0]), o);
    o += d[0];
  }
  return { data: out, dims: d };
}
