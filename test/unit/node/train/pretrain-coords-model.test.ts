/**
 * Guided pretraining with a coordinate model's predictions (`pretrain --method guided --coords RUN`): the run records
 * the model by content (sha256), the predictions are made once per CT and cached (a second run reads the cache), the
 * cached maps are the model's prediction on the CT, and a model file that changed under a run is refused rather than
 * silently mixed in. A missing model is a one-line error before any CT is read.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { pretrainCommand } from '../../../../src/cli/commands/pretrain.js';
import { oneCycle } from '../../../../src/core/optim/schedules.js';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { preprocessWithPredictedCoords } from '../../../../src/node/datasets/coords-cache.js';
import { resolveCoordsModel } from '../../../../src/node/coords/predict-file.js';
import { coordsRun, type CoordsRunConfig } from '../../../../src/node/train/coords-run.js';
import { APE_OPTIMIZER } from '../../../../src/node/train/jobs/coords.js';
import type { PretrainRunConfig } from '../../../../src/node/train/pretrain-run.js';

const root = mkdtempSync(join(tmpdir(), 'anadiff-pretrain-coords-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
process.chdir(root); // the default cache (.anadiff/cache/coords) lands here

const coordsConfig = (seed: number): CoordsRunConfig => ({
  format: 'anadiff-coords-run', version: 1, kind: 'coords', name: 'tiny-coords',
  job: {
    kind: 'coords', preset: 'tiny', channels: 4, pairs: 1,
    crops: { patch: [16, 16, 16], minSpacing: [2.5, 2.5, 4.7], maxSpacing: [6, 6, 10], bodySlots: 48, backgroundSlots: 16, padValue: 0 },
    optimizer: APE_OPTIMIZER, schedule: oneCycle(3e-3, 3, { pctStart: 0.3 }), augment: false,
  },
  train: [{ id: 'phantom-1', phantom: { seed: 1 } }], val: [],
  steps: 3, checkpointEvery: 3, validateEvery: 3, seed, threads: 1,
});

async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.error;
  console.error = () => {};
  try {
    return await fn();
  } finally {
    console.error = log;
  }
}
const pretrainArgs = (runDir: string, coords: string): string[] => ['--method', 'guided', '--coords', coords, '--phantom', '--preset', 'tiny',
  '--patch', '16x16x8', '--spacing', '6x6x8', '--batch', '1', '--steps', '2', '--checkpoint-every', '1', '--threads', '1', '--run-dir', runDir];
const cacheDir = join(root, '.anadiff', 'cache', 'coords');
/** A coordinate model by content: its .onnx and its model.json. */
const sha = (onnx: string, info = join(dirname(onnx), 'model.json')): string => createHash('sha256').update(readFileSync(onnx)).update(readFileSync(info)).digest('hex');

test('--coords RUN: recorded by content, predicted once per CT and cached, the cache is the prediction, a changed model is refused', { timeout: 300_000 }, async () => {
  const modelRun = join(root, 'coords-run');
  await coordsRun(coordsConfig(0), modelRun);
  const onnx = join(modelRun, 'model.onnx');

  const first = join(root, 'guided-a');
  assert.equal(await quiet(() => pretrainCommand.run(pretrainArgs(first, modelRun))), 0);
  const config = JSON.parse(readFileSync(join(first, 'config.json'), 'utf8')) as PretrainRunConfig;
  assert.deepEqual(config.job.guidance, { mode: 'aux', weight: 1, coords: { model: onnx, sha256: sha(onnx) } });
  const cached = readdirSync(cacheDir).filter((f) => f.endsWith('.f32')).sort();
  assert.equal(cached.length, 2, 'one map per pretraining CT (phantom seeds 1 and 3)');
  const losses = readFileSync(join(first, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number; terms?: { coords: number } });
  assert.ok(losses.every((l) => Number.isFinite(l.loss) && l.terms !== undefined && l.terms.coords > 0), 'the coordinate term is trained');

  // The cache is the model's prediction on the preprocessed grid: made again into an empty cache, the same bytes.
  const image = makePhantom({ size: 'small', seed: 1 }).image;
  const fresh = join(root, 'fresh-cache');
  const again = await preprocessWithPredictedCoords({ id: 'phantom-1', image }, { model: onnx, sha256: sha(onnx) }, [6, 6, 8], { cacheDir: fresh, threads: 1 });
  const [made] = readdirSync(fresh);
  assert.ok(cached.includes(made!), 'the same key for the same CT, model and spacing');
  assert.deepEqual(readFileSync(join(fresh, made!)), readFileSync(join(cacheDir, made!)));
  const voxels = again.pre.image.data.length;
  assert.equal(again.coords.length, 3 * voxels, 'three maps on the preprocessed grid');
  assert.ok(voxels < (image.dims[0] * image.dims[1] * image.dims[2]) / 4, 'cached at the run\'s spacing, not the CT\'s grid');
  for (let c = 0; c < 3; c++) {
    const map = again.coords.subarray(c * voxels, (c + 1) * voxels);
    assert.ok(map.every(Number.isFinite) && map.some((v) => v !== map[0]), `map ${c} varies`);
  }

  // A second run reads the cache (the files are not rewritten).
  const mtimes = cached.map((f) => statSync(join(cacheDir, f)).mtimeMs);
  assert.equal(await quiet(() => pretrainCommand.run(pretrainArgs(join(root, 'guided-b'), onnx))), 0);
  assert.deepEqual(cached.map((f) => statSync(join(cacheDir, f)).mtimeMs), mtimes);

  // The model file replaced by another model (other seed) and the cache gone: the run's resume is refused, naming it.
  const other = join(root, 'coords-other');
  await coordsRun(coordsConfig(1), other);
  copyFileSync(join(other, 'model.onnx'), onnx);
  rmSync(cacheDir, { recursive: true });
  await assert.rejects(quiet(() => pretrainCommand.run(['--resume', first, '--steps', '3'])), /coordinate model .*model\.onnx changed since this run began/);
});

test('--coords with no model there: one line naming the path, exit 1, before any CT is read', async () => {
  // Export ONNX writes <name>.json beside <name>.onnx: that sidecar wins over a model.json in the same folder.
  const exported = join(root, 'exported');
  mkdirSync(exported);
  copyFileSync(join(root, 'coords-run', 'model.onnx'), join(exported, 'a.onnx'));
  copyFileSync(join(root, 'coords-run', 'model.json'), join(exported, 'a.json'));
  writeFileSync(join(exported, 'model.json'), '{"format": "something-else"}');
  assert.equal(resolveCoordsModel(join(exported, 'a.onnx')).infoPath, join(exported, 'a.json'));

  const missing = join(root, 'no-such-run');
  await assert.rejects(quiet(() => pretrainCommand.run(pretrainArgs(join(root, 'guided-missing'), missing))), (e: Error & { exitCode?: number }) => {
    assert.equal(e.exitCode, 1);
    assert.match(e.message, new RegExp(`^--coords .*${missing}.*does not exist`));
    return true;
  });
});
