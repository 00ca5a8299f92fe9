import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onnx } from 'onnx-proto';
import { Graph, GraphError } from '../../../../src/core/graph/index.js';
import { OPSET, toOnnxModel } from '../../../../src/core/onnx/index.js';
import { add, conv3d, identity, mul, silu } from '../../../../src/core/ops/index.js';
import { runGraph } from '../../../../src/node/ort/run-graph.js';

test('ModelProto has opset 21, typed inputs/outputs, and runs in onnxruntime', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3], 'data');
  const w = g.param('w', [3]);
  g.output(mul(add(x, w), 2), 'y');
  const bytes = toOnnxModel(g);
  const model = onnx.ModelProto.decode(bytes);
  assert.equal(Number(model.opsetImport[0]?.version), OPSET);
  assert.deepEqual(model.graph?.input?.map((i) => i.name), ['x', 'w']);
  assert.deepEqual(model.graph?.output?.map((o) => o.name), ['y']);
  const out = await runGraph(g, { x: Float32Array.from([1, 2, 3, 4, 5, 6]), w: Float32Array.from([1, 0, -1]) });
  assert.deepEqual([...(out.y ?? [])], [4, 4, 4, 10, 10, 10]);
});

test('an input cannot be an output directly; identity() gives it a new name', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2], 'data');
  g.output(x);
  assert.throws(() => toOnnxModel(g), GraphError);
  const g2 = new Graph();
  const x2 = g2.input('x', 'float32', [2], 'data');
  g2.output(identity(x2), 'x.out');
  assert.ok(toOnnxModel(g2).byteLength > 0);
});

test('serialising a 3,000-node graph takes under 300 ms (best of 4; about 15-30 ms on an idle 2-core box)', () => {
  const g = new Graph();
  let h = g.input('x', 'float32', [1, 4, 8, 8, 8], 'data');
  for (let i = 0; i < 1000; i++) h = g.scope(`b${i}`, () => silu(conv3d(h, g.param('weight', [4, 4, 3, 3, 3]), undefined, { pad: 1 })));
  g.output(h, 'y');
  let ms = Infinity;
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    assert.ok(toOnnxModel(g).byteLength > 0);
    ms = Math.min(ms, performance.now() - t0);
  }
  assert.ok(ms < 300, `serialisation took ${ms.toFixed(1)} ms`);
});

test('bake turns parameter inputs into initializers (standalone inference export)', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [3], 'data');
  const w = g.param('w', [3]);
  g.output(mul(x, w), 'y');
  const bytes = toOnnxModel(g, { bake: new Map([['w', Float32Array.from([1, 2, 3])]]) });
  const model = onnx.ModelProto.decode(bytes);
  assert.deepEqual(model.graph?.input?.map((i) => i.name), ['x']);
  assert.ok(model.graph?.initializer?.some((t) => t.name === 'w'));
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([2, 2, 2]), [3]) });
  assert.deepEqual([...(out.y?.data as Float32Array)], [2, 4, 6]);
  await session.release();
});
