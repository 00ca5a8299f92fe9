// The oracle coordinates of `anadiff synth` (issue 11): per voxel, the point of the source label map the deformation
// maps it to, in that map's RAS frame. With no deformation a voxel's coordinates are its own position; with a known
// affine one they are the mapped point; synthesizeCase resamples them with the image (slice thickness).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { createRng } from '../../../../src/core/random/rng.js';
import { deformLabels, sourceIjkToRas, synthesizeCase, type DeformationParams, type DeformationRanges } from '../../../../src/core/synth/index.js';
import { applyMat4, type Mat4 } from '../../../../src/core/volume/mat4.js';

const dims = [6, 5, 4] as const;
const spacing = [2, 3, 4] as const;
// A tilted, offset affine: the source frame is not the voxel frame.
const ijkToRas: Mat4 = [0, -2, 0, 10, 2, 0, 0, -5, 0, 0, 4, 30, 0, 0, 0, 1];
const labels = Uint8Array.from({ length: 6 * 5 * 4 }, (_, n) => n % 7);
const count = labels.length;

function coordsOf(params: DeformationParams): Float32Array {
  const field = new Float32Array(3 * count);
  deformLabels(createRng(1, 0), labels, dims, spacing, params, field);
  return sourceIjkToRas(field, ijkToRas);
}

const at = (f: Float32Array, n: number): [number, number, number] => [f[n]!, f[count + n]!, f[2 * count + n]!];
const close = (a: readonly number[], b: readonly number[], tol: number, what: string): void => {
  a.forEach((v, c) => assert.ok(Math.abs(v - b[c]!) <= tol, `${what}: axis ${c}: ${v} vs ${b[c]}`));
};

test('identity deformation: every voxel\'s oracle coordinates are its own RAS position', () => {
  const f = coordsOf({ matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], translateMm: [0, 0, 0], elasticControlMm: 40, elasticSdMm: 0, determinant: 1 });
  let n = 0;
  for (let k = 0; k < 4; k++) for (let j = 0; j < 5; j++) for (let i = 0; i < 6; i++, n++) close(at(f, n), applyMat4(ijkToRas, [i, j, k]), 1e-4, `voxel ${i},${j},${k}`);
});

test('a known affine: a voxel\'s coordinates are the point the deformation maps it to, in source RAS', () => {
  // 90 degrees in-plane about the centre, then 4 mm along i: output mm x (about the centre) -> source mm M x + t.
  const matrix = [0, -1, 0, 1, 0, 0, 0, 0, 1.5];
  const translateMm: [number, number, number] = [4, 0, -2];
  const f = coordsOf({ matrix, translateMm, elasticControlMm: 40, elasticSdMm: 0, determinant: 1.5 });
  const centre = dims.map((d, a) => ((d - 1) * spacing[a]!) / 2);
  let n = 0;
  for (let k = 0; k < 4; k++) for (let j = 0; j < 5; j++) for (let i = 0; i < 6; i++, n++) {
    const x = [i * spacing[0] - centre[0]!, j * spacing[1] - centre[1]!, k * spacing[2] - centre[2]!];
    const src = [0, 1, 2].map((r) => matrix[3 * r]! * x[0]! + matrix[3 * r + 1]! * x[1]! + matrix[3 * r + 2]! * x[2]! + translateMm[r]! + centre[r]!);
    const srcIjk = src.map((mm, a) => mm / spacing[a]!) as [number, number, number];
    close(at(f, n), applyMat4(ijkToRas, srcIjk), 1e-4, `voxel ${i},${j},${k}`);
  }
  // Not the identity: the check above can fail.
  const own = applyMat4(ijkToRas, [0, 0, 0]);
  assert.ok(Math.hypot(...at(f, 0).map((v, a) => v - own[a]!)) > 5, 'voxel 0 moved');
});

test('synthesizeCase: coordinates ride along the image\'s resampling (no deformation -> own position on the output grid)', () => {
  // The phantom's labels, every second voxel in-plane: a quarter of the voxels, so the three cases take seconds.
  const full = makePhantom({ size: 'small', seed: 1 }).labels;
  const [fi, fj, fk] = full.dims;
  const pd = [Math.floor(fi / 2), Math.floor(fj / 2), fk] as [number, number, number];
  const data = new Uint8Array(pd[0] * pd[1] * pd[2]);
  for (let k = 0, n = 0; k < pd[2]; k++) for (let j = 0; j < pd[1]; j++) for (let i = 0; i < pd[0]; i++, n++) data[n] = full.data[2 * i + fi * (2 * j + fj * k)]!;
  const a = full.ijkToRas;
  const phantom = { dims: pd, ijkToRas: [2 * a[0]!, 2 * a[1]!, a[2]!, a[3]!, 2 * a[4]!, 2 * a[5]!, a[6]!, a[7]!, 2 * a[8]!, 2 * a[9]!, a[10]!, a[11]!, 0, 0, 0, 1] as Mat4, data };
  const none: DeformationRanges = { rotateInPlaneDeg: 0, rotateTiltDeg: 0, scale: 0, scaleAxis: 0, shear: 0, translateMm: 0, elasticControlMm: [40, 40], elasticSdMm: 0 };
  const c = synthesizeCase(phantom, 3, 0, { vocabulary: 'btcv', deformation: none, coords: true, sliceThicknessMm: [6, 6] });
  const coords = c.coordsRas!;
  assert.deepEqual(coords.dims, c.image.dims);
  assert.deepEqual(coords.ijkToRas, c.image.ijkToRas);
  assert.notDeepEqual(c.image.dims, phantom.dims, 'resampled along k');
  const [ni, nj, nk] = coords.dims, m = ni * nj * nk;
  let worst = 0;
  for (let k = 0; k < nk; k += 3) for (let j = 0; j < nj; j += 5) for (let i = 0; i < ni; i += 5) {
    const n = i + ni * (j + nj * k);
    const want = applyMat4(c.image.ijkToRas, [i, j, k]);
    for (let a = 0; a < 3; a++) worst = Math.max(worst, Math.abs(coords.data[a * m + n]! - want[a]!));
  }
  assert.ok(worst < 1e-3, `max error ${worst} mm`);
  assert.equal(synthesizeCase(phantom, 3, 0, { vocabulary: 'btcv' }).coordsRas, undefined, 'only when asked');
  // A drawn deformation moves them: same case with the default ranges differs by millimetres somewhere.
  const moved = synthesizeCase(phantom, 3, 0, { vocabulary: 'btcv', coords: true, sliceThicknessMm: [6, 6] }).coordsRas!;
  let most = 0;
  for (let n = 0; n < m; n += 97) most = Math.max(most, Math.abs(moved.data[n]! - applyMat4(c.image.ijkToRas, [n % ni, Math.floor(n / ni) % nj, Math.floor(n / (ni * nj))])[0]));
  assert.ok(most > 2, `deformed coordinates move (${most} mm)`);
});
