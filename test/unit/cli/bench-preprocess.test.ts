/**
 * `anadiff bench preprocess` on a small CT written into a temporary folder (a 48x40x24 box of "body" in air, LPS,
 * 2.5x2x3 mm, with a label map): both sides run in their own processes, `--json` prints exactly the documented object
 * with output dims that agree, and a bad file exits 1 with a message that names it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resampledAxis } from '../../../src/core/preprocess/index.js';
import { writeNiftiFile } from '../../../src/node/nifti/index.js';

const root = resolve(__dirname, '../../..');
const hasPeer = spawnSync('/usr/bin/python3', ['-c', 'import numpy, scipy.ndimage, nibabel'], { stdio: 'ignore' }).status === 0;
const bench = (args: readonly string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bench', 'preprocess', ...args], { cwd: root, encoding: 'utf8' });

const dims: [number, number, number] = [48, 40, 24];
const spacing: [number, number, number] = [2.5, 2, 3];
/** The body: a box of soft tissue (40 HU) inside air (-1000 HU), so the crop keeps exactly these voxels. */
const body = { start: [6, 5, 2], stop: [42, 33, 21] };
let dir = '';
let image = '';
let labels = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anadiff-bench-preprocess-'));
  const hu = new Int16Array(dims[0] * dims[1] * dims[2]).fill(-1000);
  const seg = new Uint8Array(hu.length);
  for (let k = body.start[2]!; k < body.stop[2]!; k++) {
    for (let j = body.start[1]!; j < body.stop[1]!; j++) {
      for (let i = body.start[0]!; i < body.stop[0]!; i++) {
        const n = i + dims[0] * (j + dims[1] * k);
        hu[n] = 40;
        seg[n] = i < 20 ? 6 : 1;
      }
    }
  }
  // LPS like a DICOM-derived CT, so both sides really reorient.
  const ijkToRas = [-spacing[0], 0, 0, 100, 0, -spacing[1], 0, 80, 0, 0, spacing[2], -30, 0, 0, 0, 1];
  image = join(dir, 'ct.nii.gz');
  labels = join(dir, 'seg.nii.gz');
  await writeNiftiFile(image, { dims, ijkToRas, data: hu });
  await writeNiftiFile(labels, { dims, ijkToRas, data: seg }, { datatype: 'uint8' });
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('bench preprocess --json prints one object: medians, peak RSS, dims that agree, the ratio', (t) => {
  const args = [image, '--labels', labels, '--spacing', '1x1x2', '--repeat', '1', '--warmup', '0', '--json'];
  if (!hasPeer) t.diagnostic('/usr/bin/python3 lacks numpy/scipy/nibabel: anadiff side only');
  const r = bench(hasPeer ? args : [...args, '--only', 'anadiff']);
  assert.equal(r.status, 0, String(r.stderr));
  const lines = String(r.stdout).trim().split('\n');
  assert.equal(lines.length, 1, `exactly one line, got ${String(r.stdout)}`);
  type Side = { median_ms: number; peak_rss_mb: number; dims: number[] };
  const out = JSON.parse(lines[0]!) as { anadiff: Side; python: Side | null; ratio: number | null };
  assert.deepEqual(Object.keys(out), ['anadiff', 'python', 'ratio']);
  assert.deepEqual(Object.keys(out.anadiff), ['median_ms', 'peak_rss_mb', 'dims']);
  assert.ok(out.anadiff.median_ms > 0 && out.anadiff.peak_rss_mb > 10);
  // The crop keeps the body box; resampling keeps floor((n - 1) / step) + 1 voxels per axis.
  const expected = [0, 1, 2].map((a) => resampledAxis(body.stop[a]! - body.start[a]!, spacing[a]!, [1, 1, 2][a]!).size);
  assert.deepEqual(out.anadiff.dims, expected);
  if (hasPeer) {
    assert.ok(out.python);
    assert.deepEqual(Object.keys(out.python), ['median_ms', 'peak_rss_mb', 'dims']);
    assert.deepEqual(out.python.dims, out.anadiff.dims, 'both sides produce the same grid');
    assert.ok(out.python.median_ms > 0 && out.python.peak_rss_mb > 10);
    assert.ok(Math.abs(out.ratio! - out.anadiff.median_ms / out.python.median_ms) < 0.01 * out.ratio! + 2e-3, 'ratio = anadiff / python');
    assert.equal(String(r.stderr).includes('dims differ'), false);
  }
});

test('bench preprocess: a file that is not NIfTI exits 1 naming the file; a missing FILE or bad option exits 2', () => {
  const bad = join(dir, 'not-a-ct.nii.gz');
  writeFileSync(bad, 'this is not a NIfTI file');
  const r = bench([bad, '--only', 'anadiff']);
  assert.equal(r.status, 1);
  const message = String(r.stderr).trim();
  assert.equal(message.split('\n').length, 1, `one line, got ${message}`);
  assert.match(message, /^anadiff: bench preprocess: FILE .*not-a-ct\.nii\.gz: /);

  const missing = bench([join(dir, 'absent.nii.gz'), '--only', 'anadiff']);
  assert.equal(missing.status, 1);
  assert.match(String(missing.stderr), /absent\.nii\.gz: .*no such file/i);

  assert.equal(bench(['--only', 'anadiff']).status, 2);
  const spacingFlag = bench([image, '--spacing', '1x1', '--only', 'anadiff']);
  assert.equal(spacingFlag.status, 2);
  assert.match(String(spacingFlag.stderr), /--spacing must be three numbers/);
});
