import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLatestCheckpoint } from '../../../../src/node/engine/checkpoint-store.js';
import { bakeParameters, ExportError } from '../../../../src/node/engine/export-onnx.js';
import { toyLinearProgram } from '../../../../src/node/train/jobs/toy-linear.js';
import { runTraining } from '../../../../src/node/engine/trainer.js';

test('model.onnx runs in a fresh process with nothing but onnxruntime-node and matches the trained weights', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-export-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const k = 16, n = 64;
  const result = await runTraining(toyLinearProgram({ kind: 'toy-linear' }), {
    runDir: dir, steps: 20, checkpointEvery: 20, seed: 9, resume: false, provider: 'cpu', threads: 1, exportOnnx: true, config: null,
  });
  assert.ok(result.modelPath && existsSync(result.modelPath));
  const x = Float32Array.from({ length: n * k }, (_, i) => Math.cos(i * 0.37));
  writeFileSync(join(dir, 'x.bin'), x);

  // The child sees only onnxruntime-node: no tsx, no anadiff code.
  const script = `
    const ort = require('onnxruntime-node');
    const fs = require('fs');
    (async () => {
      const s = await ort.InferenceSession.create(process.argv[1]);
      const buf = fs.readFileSync(process.argv[2]);
      const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const out = await s.run({ x: new ort.Tensor('float32', x, [${n}, ${k}]) });
      console.log(JSON.stringify({ inputs: s.inputNames, pred: Array.from(out.pred.data) }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  // execFileSync does not pass on this process's --import tsx: the child is plain Node.
  const stdout = execFileSync(process.execPath, ['-e', script, result.modelPath, join(dir, 'x.bin')], {
    cwd: join(__dirname, '../../../..'), encoding: 'utf8',
  });
  const child = JSON.parse(stdout) as { inputs: string[]; pred: number[] };
  assert.deepEqual(child.inputs, ['x'], 'weights are initializers, only data is an input');

  const state = loadLatestCheckpoint(join(dir, 'checkpoints'))!.tensors;
  const w = state.get('linear.weight')!.data as Float32Array;
  const b = (state.get('linear.bias')!.data as Float32Array)[0]!;
  for (let i = 0; i < n; i++) {
    let want = b;
    for (let j = 0; j < k; j++) want += x[i * k + j]! * w[j]!;
    assert.ok(Math.abs(child.pred[i]! - want) < 1e-5 * (1 + Math.abs(want)), `row ${i}: ${child.pred[i]} vs ${want}`);
  }
});

test('baking refuses missing parameters and shape mismatches', () => {
  const program = toyLinearProgram({ kind: 'toy-linear', features: 4, batch: 2 });
  const inference = program.inference!;
  assert.throws(() => bakeParameters(inference.model, new Map(), inference.params), ExportError);
  const wrong = new Map([
    ['linear.weight', { dtype: 'F32' as const, shape: [5, 1], data: new Float32Array(5) }],
    ['linear.bias', { dtype: 'F32' as const, shape: [1], data: new Float32Array(1) }],
  ]);
  assert.throws(() => bakeParameters(inference.model, wrong, inference.params), /expects shape \[4, 1\]/);
});
