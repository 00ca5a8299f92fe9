// `anadiff coords train`'s run: a stopped and resumed run repeats the uninterrupted one exactly (losses and
// validation), a locked folder is refused before anything is written, and the CLI refuses bad data with the reason.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { oneCycle } from '../../../../src/core/optim/schedules.js';
import { APE_OPTIMIZER } from '../../../../src/node/train/jobs/coords.js';
import { coordsRun, type CoordsRunConfig } from '../../../../src/node/train/coords-run.js';
import { acquireRunLock, RunLockedError } from '../../../../src/node/runs/run-lock.js';
import { writeNiftiFile } from '../../../../src/node/nifti/write-file.js';

const config: CoordsRunConfig = {
  format: 'anadiff-coords-run', version: 1, kind: 'coords', name: 'test',
  job: {
    kind: 'coords', preset: 'tiny', channels: 4, pairs: 1,
    crops: { patch: [16, 16, 8], minSpacing: [2.5, 2.5, 4.7], maxSpacing: [6, 6, 10], bodySlots: 48, backgroundSlots: 16, padValue: 0 },
    optimizer: APE_OPTIMIZER, schedule: oneCycle(3e-3, 6, { pctStart: 0.3 }), augment: true,
  },
  train: [{ id: 'phantom-1', phantom: { seed: 1 } }], val: [{ id: 'phantom-2', phantom: { seed: 2 } }],
  steps: 6, checkpointEvery: 3, validateEvery: 3, seed: 0, threads: 1,
};
const lines = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const withoutTimes = (l: Record<string, unknown>) => Object.fromEntries(Object.entries(l).filter(([k]) => k !== 'ms'));

test('coords run: stopped at step 3 and resumed, it repeats the uninterrupted run exactly', async () => {
  const straight = mkdtempSync(join(tmpdir(), 'anadiff-coords-a-'));
  const report = await coordsRun(config, straight);
  assert.equal(report.status, 'done');
  assert.ok(existsSync(join(straight, 'model.onnx')) && existsSync(join(straight, 'best')));
  assert.equal(existsSync(join(straight, 'run.lock')), false, 'the lock is released at the end');

  const split = mkdtempSync(join(tmpdir(), 'anadiff-coords-b-'));
  let seen = 0;
  const first = await coordsRun(config, split, { onProgress: (p) => { seen = p.step; }, shouldStop: () => seen >= 3 });
  assert.equal(first.status, 'stopped');
  assert.equal(first.step, 3);
  const second = await coordsRun(config, split);
  assert.equal(second.status, 'done');
  assert.deepEqual(lines(split).map(withoutTimes), lines(straight).map(withoutTimes));
  const validation = lines(straight).filter((l) => l.kind === 'validation');
  assert.equal(validation.length, 2);
  for (const v of validation) assert.ok(typeof v.pearson === 'number' && Math.abs(v.pearson) <= 1);
});

test('coords run: a folder another job holds is refused before anything is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-coords-lock-'));
  const lock = acquireRunLock(dir, 'train');
  try {
    await assert.rejects(coordsRun(config, dir), RunLockedError);
    assert.equal(existsSync(join(dir, 'config.json')), false);
  } finally {
    lock.release();
  }
});

test('coords train CLI: label maps are not CTs, bad slot counts are usage errors', async () => {
  const cli = resolve('bin/anadiff.js');
  const data = mkdtempSync(join(tmpdir(), 'anadiff-coords-data-'));
  mkdirSync(join(data, 'segmentations'));
  await writeNiftiFile(join(data, 'segmentations', 'liver.nii.gz'), { dims: [8, 8, 8], ijkToRas: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Uint8Array(512) });
  writeFileSync(join(data, 'notes.txt'), 'not a volume');
  // An MRI-like int16 volume (no air below -200): skipped with a line saying why.
  await writeNiftiFile(join(data, 'mri.nii.gz'), { dims: [8, 8, 8], ijkToRas: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: Int16Array.from({ length: 512 }, (_, n) => n % 700) });
  const labelsOnly = spawnSync(process.execPath, [cli, 'coords', 'train', '--data', data, '--steps', '1'], { encoding: 'utf8' });
  assert.equal(labelsOnly.status, 1, labelsOnly.stderr);
  assert.match(labelsOnly.stderr, /0 CT file\(s\), too few to hold out 1/);
  assert.match(labelsOnly.stderr, /skipping .*mri\.nii\.gz: intensities 0\.\.511 are not CT Hounsfield units/);
  const slots = spawnSync(process.execPath, [cli, 'coords', 'train', '--phantom', '--slots', '0,5'], { encoding: 'utf8' });
  assert.equal(slots.status, 2, slots.stderr);
  assert.match(slots.stderr, /--slots must be B,G/);
});
