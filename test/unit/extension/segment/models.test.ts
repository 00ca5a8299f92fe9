// The models Segment Organs offers (src/extension/segment/models.ts uses only node:fs, so it runs here in plain Node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { segmentationModels } from '../../../../src/extension/segment/models.js';

test('the default model first, then finished runs (model.onnx exported) newest first; unfinished and coordinate runs are left out', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-models-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const extension = join(dir, 'ext'), ws = join(dir, 'ws');
  mkdirSync(join(extension, 'models', 'default'), { recursive: true });
  writeFileSync(join(extension, 'models', 'default', 'model.onnx'), '');
  const run = (name: string, finishedAt?: number): void => {
    mkdirSync(join(ws, '.anadiff', 'runs', name), { recursive: true });
    writeFileSync(join(ws, '.anadiff', 'runs', name, 'config.json'), '{}');
    if (finishedAt === undefined) return;
    const model = join(ws, '.anadiff', 'runs', name, 'model.onnx');
    writeFileSync(model, '');
    utimesSync(model, finishedAt, finishedAt);
  };
  run('20261201-100000-old', 1_000_000);
  run('20261202-100000-training');
  run('20261203-100000-new', 2_000_000);
  // A finished coordinate-model run has a model.onnx too, but it outputs coordinates, not organs.
  run('20261203-110000-coords', 3_000_000);
  writeFileSync(join(ws, '.anadiff', 'runs', '20261203-110000-coords', 'model.json'), JSON.stringify({ format: 'anadiff-coords-model' }));
  const models = segmentationModels(extension, [ws, join(dir, 'no-runs-here')]);
  assert.deepEqual(models.map((m) => m.label), ['Default model', '20261203-100000-new', '20261201-100000-old']);
  assert.equal(models[0]!.modelPath, join(extension, 'models', 'default', 'model.onnx'));
  assert.equal(models[1]!.modelPath, join(ws, '.anadiff', 'runs', '20261203-100000-new', 'model.onnx'));
  assert.deepEqual(segmentationModels(join(dir, 'nothing'), []), []);
});
