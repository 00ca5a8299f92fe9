// anadiff's reader against nibabel: every NIfTI in ../shared/data and generated files covering every datatype,
// both byte orders, several orientations (permuted, oblique qform-only, qfac -1, sheared sform, pixdim only),
// scaling, 4D, NIfTI-2 and extensions must give the same voxels and the same affine.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { mat4ToRows } from '../../src/core/volume/mat4.js';
import { readNiftiFile } from '../../src/node/nifti/index.js';
import { nibabelDump, nibabelMake, nibabelUnavailable, SHARED_DATA, type NibabelView } from './nibabel-helpers.js';

const missing = nibabelUnavailable();
const work = mkdtempSync(join(tmpdir(), 'anadiff-nibabel-read-'));
after(() => rmSync(work, { recursive: true, force: true }));

function niftiFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return niftiFilesUnder(p);
    return /\.nii(\.gz)?$/.test(name) ? [p] : [];
  });
}

/** Affines agree to 1e-9 relative (nibabel builds the qform in extended precision); voxels exactly, scaled ones to 2 float32 ulps. */
async function assertSameAsNibabel(file: string, frame: number, expected: NibabelView): Promise<void> {
  const image = await readNiftiFile(file, { frame });
  assert.deepEqual(image.dims, expected.shape, `${file}: dims`);
  const rows = mat4ToRows(image.ijkToRas);
  rows.forEach((row, r) => row.forEach((v, c) => {
    const want = expected.affine[r]![c]!;
    assert.ok(Math.abs(v - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${file}: affine[${r}][${c}] is ${v}, nibabel says ${want}`);
  }));
  const scaled = image.header.sclSlope !== 0 && Number.isFinite(image.header.sclSlope) && (image.header.sclSlope !== 1 || image.header.sclInter !== 0);
  assert.equal(image.data.length, expected.data.length, `${file}: voxel count`);
  for (let i = 0; i < image.data.length; i++) {
    const got = image.data[i]!, want = expected.data[i]!;
    if (Object.is(got, want) || got === want) continue;
    if (scaled && Math.abs(got - want) <= 2 ** -22 * Math.abs(want)) continue;
    assert.fail(`${file}: voxel ${i} is ${got}, nibabel reads ${want}`);
  }
}

test('generated files: every datatype, byte order, orientation, scaling, 4D, NIfTI-2 and extensions match nibabel', { skip: missing }, async () => {
  const dir = join(work, 'generated');
  rmSync(dir, { recursive: true, force: true });
  (await import('node:fs')).mkdirSync(dir);
  const cases = nibabelMake(dir);
  assert.ok(cases.length >= 30, 'the generator made the expected set of files');
  const views = nibabelDump(work, cases);
  for (const [n, c] of cases.entries()) await assertSameAsNibabel(c.file, c.frame, views[n]!);
});

test('every NIfTI file in ../shared/data matches nibabel', async (t) => {
  if (missing) return t.skip(missing);
  if (!existsSync(SHARED_DATA)) return t.skip('real-data comparison: ../shared/data absent');
  const files = niftiFilesUnder(SHARED_DATA).map((file) => ({ file, frame: 0 }));
  // functional.nii is 4D: check a later frame as well.
  const functional = files.find((f) => f.file.endsWith('functional.nii'));
  if (functional) files.push({ file: functional.file, frame: 19 });
  assert.ok(files.length > 0);
  const views = nibabelDump(work, files);
  for (const [n, f] of files.entries()) await assertSameAsNibabel(f.file, f.frame, views[n]!);
});
