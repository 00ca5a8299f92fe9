/**
 * `evaluate` on NIfTI files against the independent scipy reference (test/reference/pipeline_reference.py metrics):
 * the phantom's 13 organs as reference, a corrupted copy as prediction (organs shifted, one dropped, one added
 * where there is none), Dice and HD95 per class equal to 1e-6 on the native grid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePhantom } from '../../src/core/phantom/index.js';
import { gridSpacing } from '../../src/core/preprocess/index.js';
import { writeNiftiFile } from '../../src/node/nifti/index.js';
import { evaluatePair } from '../../src/node/segment/evaluate.js';

const PYTHON = '/usr/bin/python3';
const HELPER = resolve(__dirname, 'pipeline_reference.py');

test('evaluate matches scipy Dice and HD95 per class on corrupted phantom labels', async (t) => {
  if (spawnSync(PYTHON, ['-c', 'import scipy, numpy']).status !== 0) return t.skip(`${PYTHON} lacks scipy/numpy`);
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-evaluate-ref-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { labels } = makePhantom({ size: 'small' });
  const [nx, ny] = labels.dims;
  const pred = new Uint8Array(labels.data.length);
  // Odd classes move 1 voxel along i and 2 along j; class 4 disappears; class 14 appears in a corner.
  for (let v = 0; v < pred.length; v++) {
    const c = labels.data[v]!;
    if (c === 0 || c === 4) continue;
    const target = c % 2 === 1 ? v + 1 + 2 * nx : v;
    if (target < pred.length) pred[target] = c;
  }
  for (let i = 0; i < 5; i++) pred[i + nx * ny] = 14;
  const classes = [...Array.from({ length: 13 }, (_, c) => c + 1), 14, 15];
  const predPath = join(dir, 'pred.nii.gz'), refPath = join(dir, 'ref.nii.gz');
  await writeNiftiFile(predPath, { dims: labels.dims, ijkToRas: labels.ijkToRas, data: pred });
  await writeNiftiFile(refPath, labels);
  const ours = await evaluatePair(predPath, refPath, classes, 'native');

  writeFileSync(join(dir, 'pred.u8'), pred);
  writeFileSync(join(dir, 'ref.u8'), labels.data);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ dims: labels.dims, spacing: gridSpacing(labels.ijkToRas), classes }));
  const r = spawnSync(PYTHON, [HELPER, 'metrics', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const reference = JSON.parse(r.stdout) as { dice: number[]; hd95: (number | null)[] };
  classes.forEach((c, n) => {
    assert.ok(Math.abs(ours.dice[n]! - reference.dice[n]!) < 1e-9, `class ${c} Dice ${ours.dice[n]} vs ${reference.dice[n]}`);
    const want = reference.hd95[n];
    if (want === null || want === undefined) assert.ok(Number.isNaN(ours.hd95[n]!), `class ${c}: HD95 NaN expected`);
    else assert.ok(Math.abs(ours.hd95[n]! - want) < 1e-6, `class ${c} HD95 ${ours.hd95[n]} vs ${want}`);
  });
  assert.equal(ours.dice[14], 1, 'class 15 absent from both scores 1');
  assert.ok(ours.dice[0]! < 0.99 && ours.dice[1]! > 0.999, 'shifted classes lose Dice, unmoved ones keep it');
});
