// `anadiff synth` end to end: on subject A's TotalSegmentator map when ../shared/data exists, else on the phantom's
// BTCV labels; nibabel must read both outputs with our affine, int16 CT and uint8 labels in 0..13.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makePhantom } from '../../src/core/phantom/index.js';
import { readNiftiFile, writeNiftiFile } from '../../src/node/nifti/index.js';
import { PYTHON, REPO_ROOT, SHARED_DATA, nibabelUnavailable } from './nibabel-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'anadiff-synth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function anadiff(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
}

const NIBABEL_SCRIPT = `
import json, sys, nibabel as nib, numpy as np
out = []
for f in sys.argv[1:]:
    img = nib.load(f)
    d = np.asanyarray(img.dataobj)
    out.append({"dtype": str(d.dtype), "shape": list(d.shape), "affine": img.affine.tolist(),
                "min": float(d.min()), "max": float(d.max()), "labels": sorted(int(v) for v in np.unique(d))[:40]})
print(json.dumps(out))`;

test('synth writes cases nibabel reads, with the source orientation and exact BTCV labels', async (t) => {
  const unavailable = nibabelUnavailable();
  if (unavailable) return t.skip(unavailable);
  const real = join(SHARED_DATA, 'totalsegmentator/example_seg_fast_force_split.nii.gz');
  let labelsPath = real;
  if (!existsSync(real)) {
    t.diagnostic('subject A labels: ../shared/data absent, using the phantom labels');
    labelsPath = join(dir, 'phantom_seg.nii.gz');
    await writeNiftiFile(labelsPath, makePhantom({ size: 'small' }).labels);
  }
  const out = join(dir, 'out');
  const run = anadiff('synth', '--labels', labelsPath, '--n', '2', '--out', out, '--seed', '5');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /wrote 2 case/);
  const again = anadiff('synth', '--labels', labelsPath, '--n', '2', '--out', out, '--seed', '5');
  assert.match(again.stdout, /kept 2/, 'complete cases are kept on a rerun');

  const source = await readNiftiFile(labelsPath);
  for (const name of ['synth_0000', 'synth_0001']) {
    const ct = join(out, `${name}_ct.nii.gz`), seg = join(out, `${name}_seg.nii.gz`);
    const r = spawnSync(PYTHON, ['-c', NIBABEL_SCRIPT, ct, seg], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [img, lab] = JSON.parse(r.stdout) as { dtype: string; shape: number[]; affine: number[][]; min: number; max: number; labels: number[] }[];
    assert.equal(img!.dtype, 'int16');
    assert.equal(lab!.dtype, 'uint8');
    assert.deepEqual(img!.shape, lab!.shape);
    assert.deepEqual(img!.affine, lab!.affine);
    // Bone (cortex ~800 HU) exists only where the source names bones (TotalSegmentator); the phantom's BTCV-13 labels
    // have none, so there the brightest voxels are contrast-enhanced organs and vessels (above 150 HU in arterial and
    // portal phases, soft tissue in native).
    const { phase } = (JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as { intensities: { phase: string } }).intensities;
    const brightest = labelsPath === real ? 300 : phase === 'native' ? 30 : 150;
    assert.ok(img!.min >= -1024 && img!.max <= 3071 && img!.max > brightest, `HU range ${img!.min}..${img!.max} (${phase} phase, expected max > ${brightest})`);
    assert.ok(lab!.labels.every((l) => l >= 0 && l <= 13), `labels ${lab!.labels.join(',')}`);
    for (const organ of [1, 2, 3, 6, 8]) assert.ok(lab!.labels.includes(organ), `organ ${organ} present`);
    // Same in-plane grid and origin as the source; only the slice spacing changes.
    const params = JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as { sliceThicknessMm: number };
    const a = source.ijkToRas;
    for (let row = 0; row < 3; row++) {
      assert.ok(Math.abs(img!.affine[row]![0]! - a[row * 4]!) < 1e-4);
      assert.ok(Math.abs(img!.affine[row]![3]! - a[row * 4 + 3]!) < 1e-3);
    }
    const zSpacing = Math.hypot(img!.affine[0]![2]!, img!.affine[1]![2]!, img!.affine[2]![2]!);
    assert.ok(Math.abs(zSpacing - params.sliceThicknessMm) < 1e-3, `${zSpacing} vs ${params.sliceThicknessMm}`);
  }
});

test('synth rejects bad options with a clear message', () => {
  const r = anadiff('synth', '--labels', 'x.nii.gz', '--n', 'zero', '--out', dir);
  assert.equal(r.status, 2, 'a bad option is a usage error');
  assert.match(r.stderr, /--n must be an integer/);
  const missing = anadiff('synth', '--labels', join(dir, 'missing.nii.gz'), '--n', '1', '--out', join(dir, 'o2'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /missing\.nii\.gz/);
});
