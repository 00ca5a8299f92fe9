// `anadiff sample`, `anadiff info` end to end through the CLI entry point.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const ROOT = resolve(__dirname, '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'anadiff-cli-nifti-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function anadiff(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

test('sample writes the phantom pair, keeps it on a second run; info --json describes it', () => {
  const first = anadiff('sample', '--out', dir);
  assert.equal(first.status, 0, first.stderr);
  const second = anadiff('sample', '--out', dir);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /kept existing/);

  const info = anadiff('info', '--json', join(dir, 'phantom_ct.nii.gz'));
  assert.equal(info.status, 0, info.stderr);
  const json = JSON.parse(info.stdout) as { dims: number[]; spacing: number[]; datatype: string; affine: number[][]; orientation: string };
  assert.deepEqual(json.dims, [160, 128, 64]);
  assert.equal(json.datatype, 'int16');
  assert.equal(json.orientation, 'LPS');
  assert.equal(json.affine.length, 4);
  assert.deepEqual(json.affine[3], [0, 0, 0, 1]);
  assert.equal(json.affine[0]![0], -2.5);
  assert.ok(Math.abs(json.spacing[2]! - 300 / 64) < 1e-6);

  const labels = anadiff('info', join(dir, 'phantom_ct_seg.nii.gz'));
  assert.equal(labels.status, 0);
  assert.match(labels.stdout, /datatype\s+uint8/);
  assert.match(labels.stdout, /range\s+0 \.\. 13/);
});

test('info on bad input exits 1 with one line on stderr', () => {
  const bad = join(dir, 'bad.nii');
  writeFileSync(bad, 'not a volume');
  const r = anadiff('info', bad);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /not a NIfTI file/);
});
