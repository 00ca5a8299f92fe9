// The pipeline's metrics, body mask and BTCV folds against independent Python implementations (Debian scipy, sklearn).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { dicePerClass, hausdorffPerClass } from '../../src/core/metrics/index.js';
import { makePhantom } from '../../src/core/phantom/index.js';
import { keepLargestComponents } from '../../src/core/infer/index.js';
import { bodyMask, gridSpacing } from '../../src/core/preprocess/index.js';
import { createRng, nextInt } from '../../src/core/random/rng.js';

const PYTHON = '/usr/bin/python3';
const REPO_ROOT = resolve(__dirname, '../..');
const HELPER = resolve(__dirname, 'pipeline_reference.py');

function missing(module: string, pkg: string): string | undefined {
  const r = spawnSync(PYTHON, ['-c', `import ${module}`]);
  return r.status === 0 ? undefined : `${PYTHON} has no ${module} (apt-get install ${pkg})`;
}

function runHelper(command: string, dir: string): unknown {
  const r = spawnSync(PYTHON, [HELPER, command, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pipeline_reference.py ${command} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A label map with the phantom's organs, then a corrupted copy: shifted, eroded in places, a class dropped, a class added. */
function labelPair(): { dims: [number, number, number]; spacing: [number, number, number]; ref: Uint8Array; pred: Uint8Array } {
  const { labels } = makePhantom({ size: 'small' });
  const dims = labels.dims;
  const ref = labels.data;
  const pred = new Uint8Array(ref.length);
  const rng = createRng(4, 0);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) {
    const src = Math.min(dims[0] - 1, i + 1) + dims[0] * (j + dims[1] * k); // shifted by one voxel in i
    let l = ref[src]!;
    if (l !== 0 && nextInt(rng, 10) === 0) l = 0; // speckle of misses
    if (l === 4) l = 0; // class 4 missed entirely
    pred[i + dims[0] * (j + dims[1] * k)] = l;
  }
  for (let k = 2; k < 5; k++) for (let j = 2; j < 5; j++) for (let i = 2; i < 5; i++) pred[i + dims[0] * (j + dims[1] * k)] = 13; // a false class far away
  return { dims, spacing: gridSpacing(labels.ijkToRas), ref, pred };
}

test('Dice and HD95 match a scipy implementation of MONAI\'s definition', (t) => {
  const why = missing('scipy', 'python3-scipy');
  if (why) return t.skip(why);
  const { dims, spacing, ref, pred } = labelPair();
  const classes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-metrics-'));
  try {
    writeFileSync(join(dir, 'pred.u8'), pred);
    writeFileSync(join(dir, 'ref.u8'), ref);
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ dims, spacing, classes }));
    const expected = runHelper('metrics', dir) as { dice: number[]; hd95: (number | null)[] };
    const dice = dicePerClass(pred, ref, classes);
    const hd95 = hausdorffPerClass(pred, ref, dims, spacing, classes);
    classes.forEach((c, n) => {
      assert.ok(Math.abs(dice[n]! - expected.dice[n]!) < 1e-9, `dice class ${c}: ${dice[n]} vs ${expected.dice[n]}`);
      const e = expected.hd95[n];
      if (e === null || e === undefined) assert.ok(Number.isNaN(hd95[n]), `hd95 class ${c} should be NaN`);
      else assert.ok(Math.abs(hd95[n]! - e) < 1e-6, `hd95 class ${c}: ${hd95[n]} vs ${e}`);
    });
    assert.ok(expected.hd95.some((x) => x !== null && x > 0), 'the case exercises non-trivial distances');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('body mask matches 26-connected component labelling of the side-face air in scipy', (t) => {
  const why = missing('scipy', 'python3-scipy');
  if (why) return t.skip(why);
  const dims: [number, number, number] = [40, 36, 12];
  const hu = new Float32Array(dims[0] * dims[1] * dims[2]);
  const rng = createRng(9, 0);
  // Random blobs of air in tissue: many components, some touching faces only diagonally.
  for (let n = 0; n < hu.length; n++) hu[n] = nextInt(rng, 100) < 45 ? -900 : 30;
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-mask-'));
  try {
    writeFileSync(join(dir, 'hu.f32'), hu);
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ dims }));
    runHelper('bodymask', dir);
    const expected = new Uint8Array(readFileSync(join(dir, 'mask.u8')));
    const mask = bodyMask({ dims, ijkToRas: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: hu });
    let differ = 0, inside = 0;
    mask.forEach((m, n) => { if (m !== expected[n]) differ++; inside += m; });
    assert.equal(differ, 0);
    assert.ok(inside > hu.length * 0.3 && inside < hu.length, 'the test volume has both enclosed and outside air');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('largest connected component per label matches scipy\'s 26-connected labelling', (t) => {
  const why = missing('scipy', 'python3-scipy');
  if (why) return t.skip(why);
  const dims: [number, number, number] = [30, 26, 14];
  const labels = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const rng = createRng(11, 0);
  // Sparse random voxels of 3 values: many components per value, joined through faces, edges and corners alike.
  for (let n = 0; n < labels.length; n++) labels[n] = nextInt(rng, 100) < 30 ? 1 + nextInt(rng, 3) : 0;
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-cc-'));
  try {
    writeFileSync(join(dir, 'labels.u8'), labels);
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ dims }));
    runHelper('largest', dir);
    const expected = new Uint8Array(readFileSync(join(dir, 'kept.u8')));
    const kept = Uint8Array.from(labels);
    const stats = keepLargestComponents(kept, dims);
    let differ = 0;
    kept.forEach((v, n) => { if (v !== expected[n]) differ++; });
    assert.equal(differ, 0, `${differ} voxels differ from scipy`);
    assert.ok(stats.removedVoxels > 0 && Object.values(stats.components).every((c) => c > 1), 'the volume has several components per value');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('data/btcv-folds.json is what scripts/make-btcv-folds.py makes with scikit-learn', (t) => {
  const why = missing('sklearn', 'python3-sklearn');
  if (why) return t.skip(why);
  const r = spawnSync(PYTHON, [resolve(REPO_ROOT, 'scripts/make-btcv-folds.py'), '--stdout'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const regenerated = JSON.parse(r.stdout) as { folds: unknown };
  const committed = JSON.parse(readFileSync(resolve(REPO_ROOT, 'data/btcv-folds.json'), 'utf8')) as {
    caseIds: string[]; folds: { train: string[]; val: string[]; test: string[] }[];
  };
  assert.deepEqual(regenerated.folds, committed.folds);
  // The protocol's shape: 5 folds, 23 train / 1 val / 6 test, test sets partition the 30 cases.
  assert.equal(committed.folds.length, 5);
  const tests = committed.folds.flatMap((f) => f.test).sort();
  assert.deepEqual(tests, [...committed.caseIds].sort());
  for (const f of committed.folds) {
    assert.deepEqual([f.train.length, f.val.length, f.test.length], [23, 1, 6]);
    assert.equal(new Set([...f.train, ...f.val, ...f.test]).size, 30);
  }
});
