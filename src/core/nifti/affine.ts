import { mat4FromRows, type Mat4 } from '../volume/mat4.js';
import { NiftiError } from './errors.js';
import type { NiftiHeader } from './header.js';

/** xform codes nibabel accepts; any other code is treated as 0 (nibabel's header check sets it to 0 on load). */
const VALID_XFORM_CODES = new Set([0, 1, 2, 3, 4, 5]);

/** Which part of the header the ijk -> RAS affine came from. */
export type AffineSource = 'sform' | 'qform' | 'pixdim';

/** pixdim[1..3] as nibabel repairs them on load: 0 becomes 1, negatives become their absolute value. */
export function repairedVoxelSizes(header: NiftiHeader): [number, number, number] {
  return [1, 2, 3].map((i) => {
    const v = header.pixdim[i] ?? 0;
    return v === 0 ? 1 : Math.abs(v);
  }) as [number, number, number];
}

/**
 * The ijk -> RAS (mm) affine exactly as nibabel's `img.affine` (`get_best_affine`): the sform when its code is
 * non-zero, else the qform quaternion when its code is non-zero, else a pixdim-only affine centred on the volume
 * with x flipped (radiological storage), nibabel's fallback for headers without orientation.
 */
export function niftiAffine(header: NiftiHeader): { ijkToRas: Mat4; source: AffineSource } {
  const sformCode = VALID_XFORM_CODES.has(header.sformCode) ? header.sformCode : 0;
  const qformCode = VALID_XFORM_CODES.has(header.qformCode) ? header.qformCode : 0;
  let result: { ijkToRas: Mat4; source: AffineSource };
  if (sformCode !== 0) result = { ijkToRas: mat4FromRows(header.srow), source: 'sform' };
  else if (qformCode !== 0) result = { ijkToRas: qformAffine(header), source: 'qform' };
  else result = { ijkToRas: pixdimAffine(header), source: 'pixdim' };
  if (!result.ijkToRas.every(Number.isFinite)) {
    throw new NiftiError('bad-header', `the ${result.source} affine in the header contains NaN or infinite values`);
  }
  return result;
}

/** nibabel's `get_qform`: rotation from the unit quaternion (b, c, d), voxel sizes, qfac, and qoffset. */
export function qformAffine(header: NiftiHeader): Mat4 {
  const b = header.quaternB, c = header.quaternC, d = header.quaternD;
  const w2 = 1 - (b * b + c * c + d * d);
  // nibabel tolerates tiny negative w^2 from float32 rounding (3 float32 epsilons) and rejects larger ones.
  const float32Eps = 2 ** -23;
  if (w2 < -3 * float32Eps) {
    throw new NiftiError('bad-header', `the qform quaternion (b=${b}, c=${c}, d=${d}) is not a unit quaternion`);
  }
  const a = w2 < 0 ? 0 : Math.sqrt(w2);
  const rotation = quaternionToMatrix(a, b, c, d);
  const qfac = header.pixdim[0] === -1 ? -1 : 1;
  const [dx, dy, dz] = repairedVoxelSizes(header);
  const scale = [dx, dy, dz * qfac];
  const offsets = [header.qoffsetX, header.qoffsetY, header.qoffsetZ];
  return mat4FromRows(
    [0, 1, 2].map((r) => [
      (rotation[r * 3] as number) * (scale[0] as number),
      (rotation[r * 3 + 1] as number) * (scale[1] as number),
      (rotation[r * 3 + 2] as number) * (scale[2] as number),
      offsets[r] as number,
    ]),
  );
}

/** nibabel's `quat2mat` (row-major 3x3); it normalises by |q|^2 so slightly non-unit quaternions still give a rotation. */
function quaternionToMatrix(w: number, x: number, y: number, z: number): number[] {
  const n = w * w + x * x + y * y + z * z;
  if (n < Number.EPSILON) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const s = 2 / n;
  const X = x * s, Y = y * s, Z = z * s;
  const wX = w * X, wY = w * Y, wZ = w * Z;
  const xX = x * X, xY = x * Y, xZ = x * Z;
  const yY = y * Y, yZ = y * Z, zZ = z * Z;
  return [1 - (yY + zZ), xY - wZ, xZ + wY, xY + wZ, 1 - (xX + zZ), yZ - wX, xZ - wY, yZ + wX, 1 - (xX + yY)];
}

/** nibabel's `get_base_affine` (`shape_zoom_affine` with x_flip): used when neither sform nor qform is set. */
function pixdimAffine(header: NiftiHeader): Mat4 {
  const ndim = Math.max(0, Math.min(7, header.dim[0] ?? 0));
  const zooms = repairedVoxelSizes(header).map((z, i) => (i < ndim ? z : 1));
  const shape = [1, 2, 3].map((i) => (i <= ndim ? (header.dim[i] as number) : 1));
  zooms[0] = -(zooms[0] as number);
  return mat4FromRows(
    [0, 1, 2].map((r) => {
      const row = [0, 0, 0, 0];
      row[r] = zooms[r] as number;
      row[3] = (-((shape[r] as number) - 1) / 2) * (zooms[r] as number);
      return row;
    }),
  );
}

/**
 * Quaternion form of an affine, as nifti1_io's `nifti_mat44_to_quatern`: column lengths become the voxel sizes,
 * the columns are orthogonalised (polar decomposition), a reflection goes into qfac = -1.
 */
export function affineToQuaternion(ijkToRas: Mat4): {
  b: number; c: number; d: number; qfac: 1 | -1; voxelSizes: [number, number, number]; offset: [number, number, number];
} {
  const col = (j: number) => [ijkToRas[j] as number, ijkToRas[4 + j] as number, ijkToRas[8 + j] as number];
  const columns = [col(0), col(1), col(2)];
  const voxelSizes = columns.map((v) => Math.hypot(...v) || 1) as [number, number, number];
  const units = columns.map((v, j) => (Math.hypot(...v) === 0 ? [0, 1, 2].map((r) => (r === j ? 1 : 0)) : v.map((x) => x / voxelSizes[j]!)));
  // R[r][c] = units[c][r]
  let R = [0, 1, 2].map((r) => [0, 1, 2].map((c) => units[c]![r]!));
  R = polarOrthogonal(R);
  let qfac: 1 | -1 = 1;
  if (det3(R) < 0) {
    qfac = -1;
    for (const row of R) row[2] = -row[2]!;
  }
  const [r11, r12, r13] = R[0]!, [r21, r22, r23] = R[1]!, [r31, r32, r33] = R[2]!;
  let a = r11! + r22! + r33! + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32! - r23!)) / a;
    c = (0.25 * (r13! - r31!)) / a;
    d = (0.25 * (r21! - r12!)) / a;
  } else {
    const xd = 1 + r11! - (r22! + r33!), yd = 1 + r22! - (r11! + r33!), zd = 1 + r33! - (r11! + r22!);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd); c = (0.25 * (r12! + r21!)) / b; d = (0.25 * (r13! + r31!)) / b; a = (0.25 * (r32! - r23!)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd); b = (0.25 * (r12! + r21!)) / c; d = (0.25 * (r23! + r32!)) / c; a = (0.25 * (r13! - r31!)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd); b = (0.25 * (r13! + r31!)) / d; c = (0.25 * (r23! + r32!)) / d; a = (0.25 * (r21! - r12!)) / d;
    }
    if (a < 0) { b = -b; c = -c; d = -d; }
  }
  return { b, c, d, qfac, voxelSizes, offset: [ijkToRas[3] as number, ijkToRas[7] as number, ijkToRas[11] as number] };
}

function det3(m: number[][]): number {
  const [[a, b, c], [d, e, f], [g, h, i]] = m as [[number, number, number], [number, number, number], [number, number, number]];
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

/** Nearest orthogonal matrix by Newton iteration X <- (X + X^-T) / 2; a no-op for an already orthogonal matrix. */
function polarOrthogonal(m: number[][]): number[][] {
  let x = m.map((row) => [...row]);
  for (let iter = 0; iter < 30; iter++) {
    const det = det3(x);
    if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return x;
    const [[a, b, c], [d, e, f], [g, h, i]] = x as [[number, number, number], [number, number, number], [number, number, number]];
    // inverse-transpose = cofactor matrix / det
    const invT = [
      [(e * i - f * h) / det, (f * g - d * i) / det, (d * h - e * g) / det],
      [(c * h - b * i) / det, (a * i - c * g) / det, (b * g - a * h) / det],
      [(b * f - c * e) / det, (c * d - a * f) / det, (a * e - b * d) / det],
    ];
    let change = 0;
    x = x.map((row, r) => row.map((v, k) => {
      const next = 0.5 * (v + invT[r]![k]!);
      change = Math.max(change, Math.abs(next - v));
      return next;
    }));
    if (change < 1e-15) break;
  }
  return x;
}
