// vox2vec's step graph (src/core/pretrain/contrastive-step.ts): its backbone is the segmenter's FPN3d backbone, name
// for name and shape for shape (what `train --backbone` loads), the only other parameters are the projection head's,
// the data inputs are the image, the slot weights and one gather index per view and pyramid level, and bad shapes
// are refused with the reason. Run by onnxruntime, an empty slot (weight 0) changes nothing, whichever voxel it points
// at (neither anchor nor negative, and outside the head's batch statistics), while moving a filled slot does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateGraph } from '../../../../src/core/graph/index.js';
import { presetConfig } from '../../../../src/core/nn/networks.js';
import { adamw, optimizerHyper, type OptimizerConfig } from '../../../../src/core/optim/optimizer.js';
import { buildContrastiveTrainStep, contrastiveNetConfig, embeddingChannels, PROJECTION_CHANNELS } from '../../../../src/core/pretrain/contrastive-step.js';
import { createRng, fillUniform } from '../../../../src/core/random/rng.js';
import { buildTrainStep, initialTrainState } from '../../../../src/core/train/step.js';
import { runGraph } from '../../../../src/node/ort/run-graph.js';

const optimizer = { rule: adamw(), maxGradNorm: 1 } as const;
const shape = { pairs: 2, spatial: [8, 16, 16] as const, positives: 16 };

test('contrastive step: the segmenter backbone (same names and shapes), a projection head to 128, named data inputs', () => {
  const net = contrastiveNetConfig('tiny');
  const step = buildContrastiveTrainStep({ net, optimizer, shape });
  validateGraph(step.graph);
  const seg = buildTrainStep({ net: presetConfig('fpn3d', 'tiny'), loss: { kind: 'softmax-ce' }, optimizer, shape: { batch: 1, spatial: shape.spatial } });
  const shapes = (ps: readonly { name: string; shape: readonly number[] }[]) => ps.filter((p) => p.name.startsWith('backbone.')).map((p) => [p.name, [...p.shape]]);
  assert.deepEqual(shapes(step.params), shapes(seg.params));
  assert.ok(step.params.every((p) => p.name.startsWith('backbone.') || p.name.startsWith('proj.')));
  const proj = new Map(step.params.filter((p) => p.name.startsWith('proj.')).map((p) => [p.name, [...p.shape]]));
  assert.deepEqual(proj.get('proj.fc1.weight'), [PROJECTION_CHANNELS, embeddingChannels(net)]);
  assert.equal(embeddingChannels(net), 4 + 8 + 16, 'tiny: every level of the pyramid, 4 channels doubling');
  assert.deepEqual(proj.get('proj.fc3.weight'), [128, PROJECTION_CHANNELS]);
  assert.deepEqual(proj.get('proj.bn2.weight'), [PROJECTION_CHANNELS]);
  assert.deepEqual(step.data.map((d) => d.name).sort(), ['idx1_level0', 'idx1_level1', 'idx1_level2', 'idx2_level0', 'idx2_level1', 'idx2_level2', 'image', 'weights']);
  assert.deepEqual(step.data.find((d) => d.name === 'image')?.shape, [4, 1, 8, 16, 16]);
  assert.deepEqual(step.data.find((d) => d.name === 'idx2_level1')?.shape, [32]);
  assert.ok(step.trainable.includes('backbone.stem.weight') && step.trainable.includes('proj.fc1.weight'));
});

test('contrastive step: patch sizes the backbone cannot halve, and empty shapes, are refused', () => {
  const net = contrastiveNetConfig('tiny');
  assert.throws(() => buildContrastiveTrainStep({ net, optimizer, shape: { ...shape, spatial: [6, 16, 16] } }), /multiples of 4/);
  assert.throws(() => buildContrastiveTrainStep({ net, optimizer, shape: { ...shape, positives: 0 } }), /positives must be a positive integer/);
  assert.throws(() => buildContrastiveTrainStep({ net, optimizer, shape: { ...shape, pairs: 1.5 } }), /pairs must be a positive integer/);
});

test('contrastive step: empty slots do not change the loss; a filled slot does', async () => {
  const net = contrastiveNetConfig('tiny');
  const opt: OptimizerConfig = optimizer;
  const [pairs, positives] = [1, 8];
  const step = buildContrastiveTrainStep({ net, optimizer: opt, shape: { pairs, spatial: [4, 8, 8], positives } });
  const base: Record<string, Float32Array | BigInt64Array> = Object.fromEntries(initialTrainState(step, createRng(1)));
  for (const [name, v] of Object.entries(optimizerHyper(opt, 1, 1e-3))) base[name] = Float32Array.of(v);
  const image = new Float32Array(2 * 4 * 8 * 8);
  fillUniform(createRng(2), image);
  base.image = image;
  base.weights = Float32Array.from([1, 1, 1, 1, 1, 0, 0, 0]);
  const crop = 4 * 8 * 8;
  const feeds = (shift: (slot: number) => number): Record<string, Float32Array | BigInt64Array> => {
    const out = { ...base };
    for (const [view, offset] of [[1, 0], [2, crop]] as const) {
      for (let l = 0; l < net.levels; l++) {
        const voxels = (8 >> l) * (8 >> l) * (4 >> l);
        out[`idx${view}_level${l}`] = BigInt64Array.from({ length: positives }, (_, s) => BigInt((offset >> (3 * l)) + ((s * 7 + shift(s)) % voxels)));
      }
    }
    return out;
  };
  const loss = async (shift: (slot: number) => number): Promise<number> => Number((await runGraph(step.graph, feeds(shift), { threads: 1 })).loss![0]);
  const a = await loss(() => 0);
  const b = await loss((s) => (s >= 5 ? 3 : 0));
  const c = await loss((s) => (s === 0 ? 3 : 0));
  assert.ok(Number.isFinite(a));
  assert.ok(Math.abs(a - b) < 1e-5, `empty slots moved: ${a} vs ${b}`);
  assert.ok(Math.abs(a - c) > 1e-4, `a filled slot moved: ${a} vs ${c}`);
});
