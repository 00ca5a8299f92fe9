/**
 * Evaluation of label-map files: Dice/HD95 on a case with a hand-computed answer, absent classes, grid mismatch
 * errors naming both files, folder pairing with mean +- sd, the 1x1x2 mm grid, class lists; and the CLI's JSON.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Mat4 } from '../../../../src/core/volume/mat4.js';
import { writeNiftiFile } from '../../../../src/node/nifti/index.js';
import { evaluatePair, evaluatePaths, parseClassList } from '../../../../src/node/segment/evaluate.js';

const root = resolve(__dirname, '../../../..');
const DIMS = [20, 16, 12] as const;
const AFFINE: Mat4 = [-0.5, 0, 0, 10, 0, 0.5, 0, -4, 0, 0, 1, 3, 0, 0, 0, 1];

/** A label map with a 10x10x10 cube of `label` starting at i = shift. */
function cube(shift: number, label = 1, extra?: { at: number; label: number }): Uint8Array {
  const out = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]);
  for (let k = 1; k < 11; k++) for (let j = 2; j < 12; j++) for (let i = shift; i < shift + 10; i++) out[i + DIMS[0] * (j + DIMS[1] * k)] = label;
  if (extra) out[extra.at] = extra.label;
  return out;
}

async function write(path: string, data: Uint8Array, affine: Mat4 = AFFINE, dims: readonly [number, number, number] = DIMS): Promise<string> {
  await writeNiftiFile(path, { dims, ijkToRas: affine, data });
  return path;
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-evaluate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('Dice and HD95 of a shifted cube; a class absent from both scores 1, one missing from one side gives HD95 NaN', async (t) => {
  const dir = tempDir(t);
  const pred = await write(join(dir, 'p.nii.gz'), cube(3, 1, { at: 0, label: 3 }));
  const ref = await write(join(dir, 'r.nii.gz'), cube(1));
  const s = await evaluatePair(pred, ref, [1, 2, 3], 'native');
  // |P| = |R| = 1000, overlap 8 x 10 x 10 = 800.
  assert.ok(Math.abs(s.dice[0]! - (1600 + 1e-5) / (2000 + 1e-5)) < 1e-12);
  assert.equal(s.dice[1], 1);
  assert.ok(Math.abs(s.dice[2]! - 1e-5 / (1 + 1e-5)) < 1e-15, "one voxel only in the prediction: eps / (1 + eps)");
  // Surfaces 2 voxels apart along i (0.5 mm each): HD95 = 1 mm.
  assert.ok(Math.abs(s.hd95[0]! - 1) < 1e-9, `HD95 ${s.hd95[0]}`);
  assert.ok(Number.isNaN(s.hd95[1]!) && Number.isNaN(s.hd95[2]!));
  assert.ok(Math.abs(s.meanDice - (s.dice[0]! + 1 + s.dice[2]!) / 3) < 1e-12);
});

test('grids that differ are refused with both grids named; folders pair by name with mean +- sd', async (t) => {
  const dir = tempDir(t);
  const ref = await write(join(dir, 'r.nii.gz'), cube(1));
  const moved = await write(join(dir, 'moved.nii.gz'), cube(1), AFFINE.map((v, n) => (n === 3 ? v + 1 : v)));
  await assert.rejects(evaluatePair(moved, ref, [1], 'native'), /grid mismatch: prediction .*moved\.nii\.gz is 20x16x12 with affine .* but reference .*r\.nii\.gz is 20x16x12/);

  mkdirSync(join(dir, 'pred')); mkdirSync(join(dir, 'ref'));
  await write(join(dir, 'pred', 'a.nii.gz'), cube(1));
  await write(join(dir, 'pred', 'b.nii.gz'), cube(3));
  await write(join(dir, 'ref', 'a.nii.gz'), cube(1));
  await write(join(dir, 'ref', 'b.nii.gz'), cube(1));
  await write(join(dir, 'ref', 'unused.nii.gz'), cube(1));
  const e = await evaluatePaths(join(dir, 'pred'), join(dir, 'ref'), [1], 'native');
  assert.deepEqual(e.cases.map((c) => c.id), ['a.nii.gz', 'b.nii.gz']);
  const b = (1600 + 1e-5) / (2000 + 1e-5);
  assert.ok(Math.abs(e.dice.overall.mean - (1 + b) / 2) < 1e-12);
  assert.ok(Math.abs(e.dice.overall.sd - (1 - b) / 2) < 1e-12, 'population sd');
  await write(join(dir, 'pred', 'c.nii.gz'), cube(1));
  await assert.rejects(evaluatePaths(join(dir, 'pred'), join(dir, 'ref'), [1], 'native'), /no reference in .* for c\.nii\.gz/);
  await assert.rejects(evaluatePaths(join(dir, 'pred'), ref, [1], 'native'), /both be files or both be folders/);
});

test('the 1x1x2 grid resamples both maps (RAS, nearest) before scoring', async (t) => {
  const dir = tempDir(t);
  const pred = await write(join(dir, 'p.nii.gz'), cube(3));
  const ref = await write(join(dir, 'r.nii.gz'), cube(1));
  const s = await evaluatePair(pred, ref, [1], '1x1x2');
  // 0.5 x 0.5 x 1 mm -> 1 x 1 x 2 mm: every second voxel along each axis.
  assert.deepEqual(s.dims, [10, 8, 6]);
  assert.ok(s.dice[0]! > 0.7 && s.dice[0]! < 0.9, `Dice ${s.dice[0]}`);
  assert.ok(Math.abs(s.hd95[0]! - 1) < 1e-9, 'the 1-voxel shift is still 1 mm');
});

test('class lists: ranges and lists, bad ones named', () => {
  assert.deepEqual(parseClassList('1..3,6, 2'), [1, 2, 3, 6]);
  assert.throws(() => parseClassList('0..3'), /"0..3" is not a class id or range/);
  assert.throws(() => parseClassList('a'), /--classes/);
});

test('anadiff evaluate --json prints one object with NaN as null; bad input exits with a clear message', async (t) => {
  const dir = tempDir(t);
  const pred = await write(join(dir, 'p.nii.gz'), cube(3));
  const ref = await write(join(dir, 'r.nii.gz'), cube(1));
  const cli = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'evaluate', ...args], { cwd: root, encoding: 'utf8' });
  const r = cli('--pred', pred, '--ref', ref, '--classes', '1..2', '--json');
  assert.equal(r.status, 0, String(r.stderr));
  const out = JSON.parse(String(r.stdout)) as { grid: string; classes: number[]; cases: { dice: number[]; hd95: (number | null)[] }[]; dice: { overall: { mean: number } } };
  assert.equal(out.grid, 'native');
  assert.deepEqual(out.classes, [1, 2]);
  assert.equal(out.cases[0]!.dice[1], 1);
  assert.equal(out.cases[0]!.hd95[1], null);
  assert.ok(Math.abs(out.dice.overall.mean - (0.8 + 1) / 2) < 1e-6);
  const text = cli('--pred', pred, '--ref', join(dir, 'missing.nii.gz'));
  assert.equal(text.status, 1);
  assert.match(String(text.stderr), /anadiff: evaluate: .*missing\.nii\.gz/);
  assert.equal(cli('--pred', pred).status, 2);
});
