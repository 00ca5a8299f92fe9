// `anadiff coords predict` end to end: a 2-step model from `coords train`'s run, then the CLI on an LPS-stored CT
// writes a 4D float32 NIfTI on the input's own grid and affine that nibabel reads as (X, Y, Z, 3); misuse is refused
// before anything is written.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { oneCycle } from '../../../../src/core/optim/schedules.js';
import { APE_OPTIMIZER } from '../../../../src/node/train/jobs/coords.js';
import { coordsRun, type CoordsRunConfig } from '../../../../src/node/train/coords-run.js';
import { readNiftiFile, writeNiftiFile } from '../../../../src/node/nifti/index.js';
import { resolveCoordsModel } from '../../../../src/node/coords/predict-file.js';

const cli = resolve('bin/anadiff.js');
const config: CoordsRunConfig = {
  format: 'anadiff-coords-run', version: 1, kind: 'coords', name: 'predict-test',
  job: {
    kind: 'coords', preset: 'tiny', channels: 4, pairs: 1,
    crops: { patch: [16, 16, 8], minSpacing: [2.5, 2.5, 4.7], maxSpacing: [6, 6, 10], bodySlots: 32, backgroundSlots: 8, padValue: 0 },
    optimizer: APE_OPTIMIZER, schedule: oneCycle(3e-3, 2, { pctStart: 0.5 }),
  },
  train: [{ id: 'phantom-1', phantom: { seed: 1 } }], val: [], steps: 2, checkpointEvery: 2, validateEvery: 2, seed: 0, threads: 1,
};

test('coords predict: (X, Y, Z, 3) float32 on the input grid, refusals before any write', async () => {
  const work = mkdtempSync(join(tmpdir(), 'anadiff-coords-predict-'));
  const run = join(work, 'run');
  await coordsRun(config, run);
  const phantom = makePhantom({ size: 'small', seed: 5 });
  const ct = join(work, 'ct.nii.gz');
  await writeNiftiFile(ct, phantom.image);
  const out = join(work, 'coords.nii.gz');
  const r = spawnSync(process.execPath, [cli, 'coords', 'predict', '--input', ct, '--output', out, '--model', run, '--threads', '1', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { windows: number; dims: number[] };
  assert.ok(summary.windows >= 1);
  const written = await readNiftiFile(out, { frame: 0 });
  assert.equal(written.frames, 3);
  assert.deepEqual(written.dims, phantom.image.dims);
  assert.deepEqual(written.ijkToRas.map((v) => Math.fround(v)), phantom.image.ijkToRas.map((v) => Math.fround(v)));
  assert.equal(written.datatype, 'float32');
  const frames = await Promise.all([0, 1, 2].map((frame) => readNiftiFile(out, { frame })));
  for (const f of frames) assert.ok(f.data.every(Number.isFinite));
  // Sigmoid times a positive scale that started at 1: values stay in a sane range, and they vary over the body.
  const first = frames[0]!.data;
  let lo = Infinity, hi = -Infinity;
  for (const v of first) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  assert.ok(hi > lo, 'coordinates vary over the volume');

  const before = readdirSync(work).sort();
  const same = spawnSync(process.execPath, [cli, 'coords', 'predict', '--input', ct, '--output', ct, '--model', run, '--overwrite'], { encoding: 'utf8' });
  assert.equal(same.status, 1);
  assert.match(same.stderr, /input/);
  const labels = join(work, 'labels.nii.gz');
  await writeNiftiFile(labels, phantom.labels);
  const label = spawnSync(process.execPath, [cli, 'coords', 'predict', '--input', labels, '--output', join(work, 'x.nii.gz'), '--model', run], { encoding: 'utf8' });
  assert.equal(label.status, 1);
  assert.match(label.stderr, /label map.*--force/);
  assert.equal(existsSync(join(work, 'x.nii.gz')), false);
  assert.deepEqual(readdirSync(work).sort(), [...before, 'labels.nii.gz'].sort());
  const usage = spawnSync(process.execPath, [cli, 'coords', 'predict', '--input', ct], { encoding: 'utf8' });
  assert.equal(usage.status, 2);

  // match: a voxel of the CT found in its own coordinate file is itself (distance 0), and a coordinate file and
  // the CT it came from give the same answer.
  const self = spawnSync(process.execPath, [cli, 'coords', 'match', '--from', out, '--at', '80,64,32', '--to', out, '--json'], { encoding: 'utf8' });
  assert.equal(self.status, 0, self.stderr);
  const m = JSON.parse(self.stdout) as { to: { voxel: number[] }; distance: number };
  assert.equal(m.distance, 0);
  const viaCt = spawnSync(process.execPath, [cli, 'coords', 'match', '--from', out, '--at', '80,64,32', '--to', ct, '--model', run, '--threads', '1', '--json'], { encoding: 'utf8' });
  assert.equal(viaCt.status, 0, viaCt.stderr);
  assert.ok((JSON.parse(viaCt.stdout) as { distance: number }).distance < 1e-3);
  const outside = spawnSync(process.execPath, [cli, 'coords', 'match', '--from', out, '--at', '999,0,0', '--to', out], { encoding: 'utf8' });
  assert.equal(outside.status, 1);
  assert.match(outside.stderr, /--at 999,0,0: outside/);
});

test('coords predict without --model and no default installed says how to get one', () => {
  assert.throws(() => resolveCoordsModel(undefined, [mkdtempSync(join(tmpdir(), 'anadiff-nomodel-'))]), /no default coordinate model is installed .*anadiff coords train/);
});
