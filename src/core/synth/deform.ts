import { nextFloat, type Rng } from '../random/rng.js';
import { axisTable, controlCount, randomCoarse, sampleCoarse, type AxisTable, type Dims3 } from './fields.js';

/**
 * Random spatial deformation of a label map, as SynthSeg does: an affine part (rotation, scaling, shear,
 * translation) about the volume centre plus a smooth elastic displacement from a coarse grid of Gaussian control
 * vectors, upsampled trilinearly. It is applied backwards (each output voxel looks up its source voxel, nearest
 * neighbour), so labels stay exact class ids and the output grid is the input grid: the anatomy moves, the
 * scanner's frame does not. Rotations are about the voxel axes in mm; axis k is taken as the body's long axis
 * (true of axial CT), so the large rotation is in-plane.
 */

export interface DeformationRanges {
  /** Max in-plane rotation (about k), degrees. */
  readonly rotateInPlaneDeg: number;
  /** Max rotation about i and j, degrees. */
  readonly rotateTiltDeg: number;
  /** Global scale drawn in [1 - s, 1 + s], then each axis jittered by another [1 - a, 1 + a]. */
  readonly scale: number;
  readonly scaleAxis: number;
  /** Max shear coefficient per pair of axes. */
  readonly shear: number;
  /** Max translation per axis, mm. */
  readonly translateMm: number;
  /** Elastic control-point spacing range (mm) and max displacement sd (mm). */
  readonly elasticControlMm: readonly [number, number];
  readonly elasticSdMm: number;
}

export const DEFAULT_DEFORMATION: DeformationRanges = {
  rotateInPlaneDeg: 15,
  rotateTiltDeg: 6,
  // Body size varies by far more than 10% between patients (issue 12: the default model learned one body); SynthSeg
  // itself draws scale in [0.85, 1.15] per axis and a stronger elastic field.
  scale: 0.15,
  scaleAxis: 0.08,
  shear: 0.05,
  translateMm: 10,
  elasticControlMm: [40, 80],
  elasticSdMm: 5,
};

export interface DeformationParams {
  /** Row-major 3x3 matrix taking output mm (about the centre) to source mm. */
  readonly matrix: readonly number[];
  readonly translateMm: readonly [number, number, number];
  readonly elasticControlMm: number;
  readonly elasticSdMm: number;
  /** det(matrix): source volume per output volume; an organ's volume scales by 1 / det. */
  readonly determinant: number;
}

const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * nextFloat(rng);

function multiply3(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let t = 0; t < 3; t++) out[r * 3 + c]! += a[r * 3 + t]! * b[t * 3 + c]!;
  return out;
}

function determinant3(m: readonly number[]): number {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

export function drawDeformation(rng: Rng, ranges: DeformationRanges = DEFAULT_DEFORMATION): DeformationParams {
  const rad = Math.PI / 180;
  const az = uniform(rng, -1, 1) * ranges.rotateInPlaneDeg * rad;
  const ax = uniform(rng, -1, 1) * ranges.rotateTiltDeg * rad;
  const ay = uniform(rng, -1, 1) * ranges.rotateTiltDeg * rad;
  const rz = [Math.cos(az), -Math.sin(az), 0, Math.sin(az), Math.cos(az), 0, 0, 0, 1];
  const rx = [1, 0, 0, 0, Math.cos(ax), -Math.sin(ax), 0, Math.sin(ax), Math.cos(ax)];
  const ry = [Math.cos(ay), 0, Math.sin(ay), 0, 1, 0, -Math.sin(ay), 0, Math.cos(ay)];
  const global = uniform(rng, 1 - ranges.scale, 1 + ranges.scale);
  const s = [0, 1, 2].map(() => global * uniform(rng, 1 - ranges.scaleAxis, 1 + ranges.scaleAxis));
  const scale = [s[0]!, 0, 0, 0, s[1]!, 0, 0, 0, s[2]!];
  const sh = [0, 1, 2].map(() => uniform(rng, -ranges.shear, ranges.shear));
  const shear = [1, sh[0]!, sh[1]!, 0, 1, sh[2]!, 0, 0, 1];
  const matrix = multiply3(multiply3(multiply3(rz, ry), rx), multiply3(scale, shear));
  const t = [0, 1, 2].map(() => uniform(rng, -ranges.translateMm, ranges.translateMm)) as [number, number, number];
  const elasticControlMm = uniform(rng, ranges.elasticControlMm[0], ranges.elasticControlMm[1]);
  const elasticSdMm = uniform(rng, 0, ranges.elasticSdMm);
  return { matrix, translateMm: t, elasticControlMm, elasticSdMm, determinant: determinant3(matrix) };
}

/**
 * Resamples `labels` through the deformation (nearest neighbour; outside the source grid is 0). The elastic control
 * vectors are drawn from `rng` here (3 x control points normals), so the field needs no full-size buffers: each
 * voxel interpolates its displacement from the coarse grid on the fly.
 * `sourceIjk`, when given (3 x voxels, channel-major: all i, then all j, then all k), receives for every output voxel
 * the continuous source voxel index it looks up before rounding: the deformation field itself, which `anadiff synth`
 * turns into the generator's exact body-part coordinates (oracle-coords.ts). It draws nothing from `rng`.
 */
export function deformLabels(rng: Rng, labels: Uint8Array, dims: Dims3, spacingMm: Dims3, params: DeformationParams, sourceIjk?: Float32Array): Uint8Array {
  const [nx, ny, nz] = dims;
  const [sx, sy, sz] = spacingMm;
  const cdims = dims.map((n, a) => controlCount((n - 1) * spacingMm[a]!, params.elasticControlMm)) as unknown as Dims3;
  const field = [0, 1, 2].map(() => randomCoarse(rng, cdims));
  const tables = [0, 1, 2].map((a) => axisTable(dims[a]!, cdims[a]!)) as [AxisTable, AxisTable, AxisTable];
  const m = params.matrix;
  const [tx, ty, tz] = params.translateMm;
  const cx = ((nx - 1) * sx) / 2, cy = ((ny - 1) * sy) / 2, cz = ((nz - 1) * sz) / 2;
  const sd = params.elasticSdMm;
  const out = new Uint8Array(labels.length);
  if (sourceIjk && sourceIjk.length !== 3 * labels.length) throw new RangeError(`deformLabels: sourceIjk holds ${sourceIjk.length} values for 3 x ${labels.length} voxels`);
  const count = labels.length;
  let n = 0;
  for (let k = 0; k < nz; k++) {
    const z = k * sz - cz;
    for (let j = 0; j < ny; j++) {
      const y = j * sy - cy;
      for (let i = 0; i < nx; i++, n++) {
        const x = i * sx - cx;
        const dx = sd * sampleCoarse(field[0]!, cdims, tables[0], tables[1], tables[2], i, j, k);
        const dy = sd * sampleCoarse(field[1]!, cdims, tables[0], tables[1], tables[2], i, j, k);
        const dz = sd * sampleCoarse(field[2]!, cdims, tables[0], tables[1], tables[2], i, j, k);
        const fi = (m[0]! * x + m[1]! * y + m[2]! * z + tx + dx + cx) / sx;
        const fj = (m[3]! * x + m[4]! * y + m[5]! * z + ty + dy + cy) / sy;
        const fk = (m[6]! * x + m[7]! * y + m[8]! * z + tz + dz + cz) / sz;
        if (sourceIjk) {
          sourceIjk[n] = fi;
          sourceIjk[count + n] = fj;
          sourceIjk[2 * count + n] = fk;
        }
        const si = Math.floor(fi + 0.5), sj = Math.floor(fj + 0.5), sk = Math.floor(fk + 0.5);
        if (si >= 0 && sj >= 0 && sk >= 0 && si < nx && sj < ny && sk < nz) out[n] = labels[si + nx * (sj + ny * sk)]!;
      }
    }
  }
  return out;
}
