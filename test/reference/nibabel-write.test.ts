// Files anadiff writes must load in nibabel with the same voxels and the same affine.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makePhantom } from '../../src/core/phantom/index.js';
import { mat4ToRows, type Mat4 } from '../../src/core/volume/mat4.js';
import { readNiftiFile, writeNiftiFile } from '../../src/node/nifti/index.js';
import { nibabelDump, nibabelMake, nibabelUnavailable, SHARED_DATA, type NibabelView } from './nibabel-helpers.js';

const missing = nibabelUnavailable();
const work = mkdtempSync(join(tmpdir(), 'anadiff-nibabel-write-'));
after(() => rmSync(work, { recursive: true, force: true }));

function assertAffine(name: string, got: number[][], want: Mat4 | number[][], tolerance: number): void {
  const rows = Array.isArray(want[0]) ? (want as number[][]) : mat4ToRows(want as Mat4);
  got.forEach((row, r) => row.forEach((v, c) => {
    const w = rows[r]![c]!;
    assert.ok(Math.abs(v - w) <= tolerance * Math.max(1, Math.abs(w)), `${name}: nibabel affine[${r}][${c}] = ${v}, expected ${w}`);
  }));
}

function assertVoxels(name: string, view: NibabelView, expected: ArrayLike<number>): void {
  assert.equal(view.data.length, expected.length, `${name}: voxel count`);
  for (let i = 0; i < expected.length; i++) {
    const want = Math.fround(expected[i]!);
    if (!Object.is(view.data[i], want)) assert.fail(`${name}: nibabel reads voxel ${i} as ${view.data[i]}, anadiff wrote ${want}`);
  }
}

test('the phantom CT (int16) and its labels (uint8) load in nibabel unchanged', { skip: missing }, async () => {
  const phantom = makePhantom({ size: 'small', seed: 3 });
  const ct = join(work, 'phantom_ct.nii.gz'), seg = join(work, 'phantom_ct_seg.nii.gz');
  await writeNiftiFile(ct, phantom.image);
  await writeNiftiFile(seg, phantom.labels);
  const [ctView, segView] = nibabelDump(work, [{ file: ct }, { file: seg }]);
  assertVoxels('phantom CT', ctView!, phantom.image.data);
  assertVoxels('phantom labels', segView!, phantom.labels.data);
  assertAffine('phantom CT', ctView!.affine, phantom.image.ijkToRas, 0);
  assertAffine('phantom labels', segView!.affine, phantom.labels.ijkToRas, 0);
});

test('re-writing generated files (qform-only, qfac -1, sheared, pixdim-only, NIfTI-2) keeps the affine nibabel sees', { skip: missing }, async () => {
  const dir = join(work, 'generated');
  mkdirSync(dir, { recursive: true });
  const cases = nibabelMake(dir).filter((c) => c.file.includes('orient_') || c.file.includes('nifti2') || c.file.includes('scaled'));
  assert.ok(cases.length >= 8);
  const outputs: { file: string }[] = [];
  const images = [];
  for (const c of cases) {
    const image = await readNiftiFile(c.file);
    const out = join(dir, `rewritten_${outputs.length}.nii.gz`);
    await writeNiftiFile(out, image); // float32, the image's own header as reference
    outputs.push({ file: out });
    images.push(image);
  }
  const before = nibabelDump(work, cases);
  const afterWrite = nibabelDump(work, outputs);
  for (const [n, c] of cases.entries()) {
    // NIfTI-2 stores float64 geometry; NIfTI-1 output rounds it to float32.
    assertAffine(c.case, afterWrite[n]!.affine, before[n]!.affine, c.file.includes('nifti2') ? 1e-6 : 1e-9);
    assertVoxels(c.case, afterWrite[n]!, images[n]!.data);
    const reread = await readNiftiFile(outputs[n]!.file);
    assert.equal(reread.header.qformCode, images[n]!.header.qformCode, `${c.case}: qform_code kept`);
    assert.equal(reread.header.sformCode, images[n]!.header.sformCode, `${c.case}: sform_code kept`);
  }
});

test('a new affine under a qform-only reference is written as an accurate quaternion', { skip: missing }, async () => {
  const dir = join(work, 'quaternion');
  mkdirSync(dir, { recursive: true });
  const qformOnly = nibabelMake(dir).find((c) => c.file.includes('qform_only'))!;
  const reference = (await readNiftiFile(qformOnly.file)).header;
  const c = Math.cos(0.7), s = Math.sin(0.7);
  // A rotation about z with a reflection in k (qfac -1) and anisotropic voxels.
  const ijkToRas: Mat4 = [0.9 * c, -1.1 * s, 0, 10, 0.9 * s, 1.1 * c, 0, -20, 0, 0, -2.5, 30, 0, 0, 0, 1];
  const out = join(dir, 'requat.nii');
  await writeNiftiFile(out, { dims: [4, 5, 6], ijkToRas, data: new Float32Array(120).map((_, i) => i) }, { reference });
  const [view] = nibabelDump(work, [{ file: out }]);
  assertAffine('quaternion', view!.affine, ijkToRas, 1e-6);
});

test('labels written with a real CT as reference overlay it exactly in nibabel', async (t) => {
  if (missing) return t.skip(missing);
  const ctPath = join(SHARED_DATA, 'totalsegmentator/example_ct.nii.gz');
  if (!existsSync(ctPath)) return t.skip('real-data overlay check: ../shared/data absent');
  const ct = await readNiftiFile(ctPath);
  const labels = new Uint8Array(ct.data.length).map((_, i) => ((ct.data[i] ?? 0) > 200 ? 1 : 0));
  const out = join(work, 'example_ct_bone.nii.gz');
  await writeNiftiFile(out, { dims: ct.dims, ijkToRas: ct.ijkToRas, data: labels }, { reference: ct.header });
  const [ctView, labelView] = nibabelDump(work, [{ file: ctPath }, { file: out }]);
  assertAffine('labels vs CT', labelView!.affine, ctView!.affine, 0);
  assertVoxels('labels', labelView!, labels);
  const reread = await readNiftiFile(out);
  assert.equal(reread.datatype, 'uint8');
  assert.equal(reread.header.sformCode, ct.header.sformCode);
  assert.equal(reread.header.qformCode, ct.header.qformCode);
  assert.equal(reread.header.xyztUnits, ct.header.xyztUnits);
  assert.equal(reread.header.description, ct.header.description);
});

test('a 4D float32 file (three frames: per-voxel coordinates) reads back frame by frame in nibabel', { skip: missing }, async () => {
  const dims: [number, number, number] = [5, 4, 3];
  const n = 60;
  const data = Float32Array.from({ length: 3 * n }, (_, v) => Math.sin(v) * 100);
  const affine: Mat4 = [-1.5, 0, 0, 10, 0, -1.5, 0, 20, 0, 0, 3, -30, 0, 0, 0, 1];
  const file = join(work, 'coords4d.nii.gz');
  await writeNiftiFile(file, { dims, ijkToRas: affine, data, frames: 3 });
  const views = nibabelDump(work, [0, 1, 2].map((frame) => ({ file, frame })));
  views.forEach((view, frame) => {
    assert.deepEqual(view.shape.slice(0, 3), dims);
    assertVoxels(`frame ${frame}`, view, data.subarray(frame * n, (frame + 1) * n));
    assertAffine(`frame ${frame}`, view.affine, affine, 1e-6);
  });
  const ours = await readNiftiFile(file, { frame: 2 });
  assert.equal(ours.frames, 3);
  assert.deepEqual(ours.data, data.subarray(2 * n));
});
