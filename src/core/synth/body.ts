import { nextFloat, nextNormal, type Rng } from '../random/rng.js';
import type { Dims3 } from './fields.js';

/**
 * A body outline for a label map that has none: organ maps stop at the organs, but a CT shows the abdominal wall
 * (muscle) and subcutaneous fat around them and air outside. Per axial slice (k), the labeled voxels' outline is
 * taken as a polar radius profile r(theta) about their centroid; the wall muscle and the fat are bands of drawn
 * thickness outside it, thicker or thinner around the circumference by a smooth random factor.
 * Slices with no labels borrow the nearest labeled slice's outline so the body does not end abruptly.
 */

export const REGION_AIR = 0;
export const REGION_FAT = 1;
export const REGION_WALL = 2;
export const REGION_INTERIOR = 3;
export const REGION_LABELED = 4;

const BINS = 96;

export interface BodyParams {
  readonly fatMm: number;
  readonly wallMm: number;
  /** Fourier coefficients (cos, sin) of the circumferential thickness variation, orders 1..3. */
  readonly harmonics: readonly number[];
}

export function drawBodyParams(rng: Rng): BodyParams {
  const fatMm = 8 + 37 * nextFloat(rng);
  const wallMm = 4 + 8 * nextFloat(rng);
  const harmonics = Array.from({ length: 6 }, () => 0.25 * nextNormal(rng));
  return { fatMm, wallMm, harmonics };
}

interface SliceOutline {
  readonly cx: number;
  readonly cy: number;
  readonly radius: Float32Array; // mm, per angle bin
}

function sliceOutline(labels: Uint8Array, dims: Dims3, spacing: Dims3, k: number): SliceOutline | undefined {
  const [nx, ny] = dims;
  const base = k * nx * ny;
  let count = 0, sx = 0, sy = 0;
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (labels[base + i + nx * j]) { count++; sx += i; sy += j; }
  if (count < 4) return undefined;
  const cx = (sx / count) * spacing[0], cy = (sy / count) * spacing[1];
  const radius = new Float32Array(BINS);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      if (!labels[base + i + nx * j]) continue;
      const dx = i * spacing[0] - cx, dy = j * spacing[1] - cy;
      const bin = angleBin(dx, dy);
      // Half a voxel beyond the centre so single-voxel structures have a non-zero extent.
      const r = Math.hypot(dx, dy) + 0.5 * Math.max(spacing[0], spacing[1]);
      if (r > radius[bin]!) radius[bin] = r;
    }
  }
  fillEmptyBins(radius);
  return { cx, cy, radius: smoothCircular(radius, 3) };
}

function angleBin(dx: number, dy: number): number {
  const a = Math.atan2(dy, dx); // -pi..pi
  return Math.min(BINS - 1, Math.floor(((a + Math.PI) / (2 * Math.PI)) * BINS));
}

/** Empty angle bins (no labels in that direction) take the linear interpolation of their nearest filled neighbours. */
function fillEmptyBins(r: Float32Array): void {
  const filled: number[] = [];
  for (let b = 0; b < BINS; b++) if (r[b]! > 0) filled.push(b);
  if (filled.length === 0) return;
  for (let b = 0; b < BINS; b++) {
    if (r[b]! > 0) continue;
    let prev = filled[filled.length - 1]!, next = filled[0]!;
    for (const f of filled) {
      if (f < b) prev = f;
      else { next = f; break; }
    }
    const dPrev = (b - prev + BINS) % BINS, dNext = (next - b + BINS) % BINS;
    r[b] = (r[prev]! * dNext + r[next]! * dPrev) / Math.max(1, dPrev + dNext);
  }
}

/** Circular moving maximum then mean: keeps the convex outline, removes single-bin notches. */
function smoothCircular(r: Float32Array, half: number): Float32Array {
  const max = new Float32Array(BINS);
  for (let b = 0; b < BINS; b++) {
    let m = 0;
    for (let t = -1; t <= 1; t++) m = Math.max(m, r[(b + t + BINS) % BINS]!);
    max[b] = m;
  }
  const out = new Float32Array(BINS);
  for (let b = 0; b < BINS; b++) {
    let s = 0;
    for (let t = -half; t <= half; t++) s += max[(b + t + BINS) % BINS]!;
    out[b] = s / (2 * half + 1);
  }
  return out;
}

/** Region code per voxel (REGION_*). `labels` is the deformed input label map (any non-zero id counts as labeled). */
export function bodyRegions(labels: Uint8Array, dims: Dims3, spacing: Dims3, params: BodyParams): Uint8Array {
  const [nx, ny, nz] = dims;
  const outlines = Array.from({ length: nz }, (_, k) => sliceOutline(labels, dims, spacing, k));
  const labeledSlices = outlines.flatMap((o, k) => (o ? [k] : []));
  const regions = new Uint8Array(labels.length);
  if (labeledSlices.length === 0) return regions; // nothing to build a body around: all air
  const thickness = new Float32Array(BINS);
  for (let b = 0; b < BINS; b++) {
    const a = (2 * Math.PI * (b + 0.5)) / BINS;
    let f = 1;
    for (let h = 0; h < 3; h++) f += params.harmonics[2 * h]! * Math.cos((h + 1) * a) + params.harmonics[2 * h + 1]! * Math.sin((h + 1) * a);
    thickness[b] = Math.max(0.2, f);
  }
  for (let k = 0; k < nz; k++) {
    const outline = smoothedOutline(outlines, labeledSlices, k);
    const base = k * nx * ny;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const n = base + i + nx * j;
        if (labels[n]) { regions[n] = REGION_LABELED; continue; }
        const dx = i * spacing[0] - outline.cx, dy = j * spacing[1] - outline.cy;
        const bin = angleBin(dx, dy);
        const r = Math.hypot(dx, dy);
        const inner = outline.radius[bin]!;
        const wall = inner + params.wallMm;
        const skin = wall + params.fatMm * thickness[bin]!;
        regions[n] = r <= inner ? REGION_INTERIOR : r <= wall ? REGION_WALL : r <= skin ? REGION_FAT : REGION_AIR;
      }
    }
  }
  return regions;
}

/** The outline of slice k averaged with its labeled neighbours within 2 slices (or the nearest labeled slice's). */
function smoothedOutline(outlines: readonly (SliceOutline | undefined)[], labeledSlices: readonly number[], k: number): SliceOutline {
  let nearest = labeledSlices[0]!;
  for (const s of labeledSlices) if (Math.abs(s - k) < Math.abs(nearest - k)) nearest = s;
  const picked: SliceOutline[] = [];
  for (let t = nearest - 2; t <= nearest + 2; t++) {
    const o = outlines[t];
    if (o) picked.push(o);
  }
  const radius = new Float32Array(BINS);
  let cx = 0, cy = 0;
  for (const o of picked) {
    cx += o.cx / picked.length;
    cy += o.cy / picked.length;
    for (let b = 0; b < BINS; b++) radius[b]! += o.radius[b]! / picked.length;
  }
  return { cx, cy, radius };
}
