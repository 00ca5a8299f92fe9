/**
 * A 4x4 affine matrix stored ROW-MAJOR: element (row r, column c) is `m[r * 4 + c]`.
 * Row-major matches how nibabel prints an affine and how NIfTI stores `srow_x/y/z`,
 * so `m[3]`, `m[7]`, `m[11]` are the translation (x, y, z).
 */
export type Mat4 = readonly number[];

/** A point or direction with three components (i, j, k) or (x, y, z). */
export type Vec3 = readonly [number, number, number];

export function mat4Identity(): Mat4 {
  return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
}

/** Builds a Mat4 from 4 rows (or 3 rows, the last row then being 0 0 0 1). */
export function mat4FromRows(rows: readonly (readonly number[])[]): Mat4 {
  const out: number[] = [];
  for (let r = 0; r < 4; r++) {
    const row = rows[r] ?? (r === 3 ? [0, 0, 0, 1] : undefined);
    if (!row || row.length !== 4) throw new RangeError(`mat4FromRows: row ${r} must have 4 numbers`);
    out.push(...row);
  }
  return out;
}

/** The matrix as 4 arrays of 4 numbers (the shape nibabel's `img.affine.tolist()` has). */
export function mat4ToRows(m: Mat4): number[][] {
  return [0, 1, 2, 3].map((r) => [at(m, r, 0), at(m, r, 1), at(m, r, 2), at(m, r, 3)]);
}

/** Element at (row, column). */
export function at(m: Mat4, row: number, col: number): number {
  return m[row * 4 + col] as number;
}

export function mat4Multiply(a: Mat4, b: Mat4): Mat4 {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += at(a, r, k) * at(b, k, c);
      out[r * 4 + c] = sum;
    }
  }
  return out;
}

/** Inverse of an affine (last row 0 0 0 1); throws RangeError when the 3x3 part is singular. */
export function mat4InvertAffine(m: Mat4): Mat4 {
  const [a, b, c, d, e, f, g, h, i] = [at(m, 0, 0), at(m, 0, 1), at(m, 0, 2), at(m, 1, 0), at(m, 1, 1), at(m, 1, 2), at(m, 2, 0), at(m, 2, 1), at(m, 2, 2)];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (!Number.isFinite(det) || det === 0) throw new RangeError('mat4InvertAffine: the 3x3 part is singular');
  const inv = [
    (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
    (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
    (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
  ] as const;
  const t = [at(m, 0, 3), at(m, 1, 3), at(m, 2, 3)] as const;
  const out: number[] = [];
  for (let r = 0; r < 3; r++) {
    const r0 = inv[r * 3] as number, r1 = inv[r * 3 + 1] as number, r2 = inv[r * 3 + 2] as number;
    out.push(r0, r1, r2, -(r0 * t[0] + r1 * t[1] + r2 * t[2]));
  }
  out.push(0, 0, 0, 1);
  return out;
}

/** Determinant of the 3x3 linear part. */
export function mat3Determinant(m: Mat4): number {
  return (
    at(m, 0, 0) * (at(m, 1, 1) * at(m, 2, 2) - at(m, 1, 2) * at(m, 2, 1)) -
    at(m, 0, 1) * (at(m, 1, 0) * at(m, 2, 2) - at(m, 1, 2) * at(m, 2, 0)) +
    at(m, 0, 2) * (at(m, 1, 0) * at(m, 2, 1) - at(m, 1, 1) * at(m, 2, 0))
  );
}

/** Applies an affine to a point. */
export function applyMat4(m: Mat4, p: Vec3): [number, number, number] {
  const [x, y, z] = p;
  return [
    at(m, 0, 0) * x + at(m, 0, 1) * y + at(m, 0, 2) * z + at(m, 0, 3),
    at(m, 1, 0) * x + at(m, 1, 1) * y + at(m, 1, 2) * z + at(m, 1, 3),
    at(m, 2, 0) * x + at(m, 2, 1) * y + at(m, 2, 2) * z + at(m, 2, 3),
  ];
}

/** Length of column `col` of the 3x3 part: the distance in mm between neighbouring voxels along that axis. */
export function columnNorm(m: Mat4, col: number): number {
  return Math.hypot(at(m, 0, col), at(m, 1, col), at(m, 2, col));
}
