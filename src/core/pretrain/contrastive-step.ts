/**
 * vox2vec's training step (the contrastive arm of issue 11; ../shared/notes/pretraining.md): the segmenter's FPN3d
 * backbone (`backbone.*`, the same module and names, so the checkpoint feeds `train --backbone` as it is) runs once on
 * the 2P crops of a step (every pair's view 1, then every pair's view 2, contrastive.ts). For each sampled voxel the
 * features of every pyramid level, read at index >> l, are concatenated (vox2vec's multi-level embedding); a
 * projection head (`proj.*`, dropped on export) maps them to 128 and L2-normalises; the loss is the masked symmetric
 * InfoNCE at temperature 0.1 (info-nce.ts) over all P * positives slots of the step.
 *   proj = Linear - BatchNorm1d - ReLU - Linear - BatchNorm1d - ReLU - Linear(128), applied to each view on its own
 *          (its own batch statistics, as vox2vec calls its head once per view). The statistics are weighted by the
 *          slot weights, so empty slots do not shift them (ours: vox2vec has no empty slots). No running statistics:
 *          the head lives only in training.
 * Data inputs: `image` [2P, 1, D, H, W]; per level l, `idx1_level{l}` and `idx2_level{l}` [P * positives] (int64 rows
 * of the level's channels-last map flattened over the batch); `weights` [P * positives].
 */
import { Graph, type Value } from '../graph/graph.js';
import { add, concat, div, gather, gemm, mul, relu, reshape, reduceSum, sqrt, sub, transpose } from '../ops/index.js';
import { fpn3d, type Fpn3dConfig } from '../nn/fpn3d.js';
import { presetConfig, type SizePreset } from '../nn/networks.js';
import { createNetContext, param, type NetContext } from '../nn/params.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { appendTrainUpdate, TrainSpecError, type TrainStepGraph } from '../train/step.js';
import { checkContrastiveSampling } from './contrastive.js';
import { infoNce, l2Normalize, VOX2VEC_TEMPERATURE } from './info-nce.js';

/** vox2vec's projection: width 128 throughout, output 128. */
export const PROJECTION_CHANNELS = 128;
const BN_EPS = 1e-5;

export interface ContrastiveTrainSpec {
  readonly net: Fpn3dConfig;
  readonly optimizer: OptimizerConfig;
  readonly shape: {
    readonly pairs: number;
    /** D, H, W of every crop (k, j, i). */
    readonly spatial: readonly [number, number, number];
    readonly positives: number;
  };
  readonly temperature?: number;
}

/** Graph input names of the data a contrastive step reads. */
export const CONTRASTIVE_INPUTS = {
  image: 'image',
  weights: 'weights',
  idx: (view: 1 | 2, level: number) => `idx${view}_level${level}`,
} as const;

/** The segmenter preset's backbone (its head fields are unused: the projection head replaces it). */
export function contrastiveNetConfig(size: SizePreset): Fpn3dConfig {
  return presetConfig('fpn3d', size);
}

/** Sum of the pyramid's channels: the width of a voxel's multi-level embedding. */
export function embeddingChannels(net: Fpn3dConfig): number {
  let c = 0;
  for (let l = 0; l < net.levels; l++) c += net.channels * 2 ** l;
  return c;
}

/** BatchNorm1d in training mode over rows with weight 1: (x - mean) / sqrt(var + eps) * gamma + beta. */
function weightedBatchNorm(x: Value, w: Value, gamma: Value, beta: Value): Value {
  const [rows] = x.shape;
  const col = reshape(w, [rows!, 1]);
  const n = add(reduceSum(w, [0], false), 1e-12);
  const mean = div(reduceSum(mul(x, col), [0], true), n);
  const centred = sub(x, mean);
  const variance = div(reduceSum(mul(mul(centred, centred), col), [0], true), n);
  return add(mul(div(centred, sqrt(add(variance, BN_EPS))), gamma), beta);
}

/** The projection head's parameters (created once) and a function that applies it to one view's [K, F] rows. */
function projectionHead(ctx: NetContext, inChannels: number): (x: Value, w: Value) => Value {
  const c = PROJECTION_CHANNELS;
  const fc = (name: string, cin: number): { w: Value; b: Value } => ctx.g.scope(name, () => {
    const bound = 1 / Math.sqrt(cin);
    return { w: param(ctx, 'weight', [c, cin], { kind: 'uniform', bound }), b: param(ctx, 'bias', [c], { kind: 'uniform', bound }) };
  });
  const bn = (name: string): { gamma: Value; beta: Value } => ctx.g.scope(name, () => ({
    gamma: param(ctx, 'weight', [c], { kind: 'constant', value: 1 }), beta: param(ctx, 'bias', [c], { kind: 'constant', value: 0 }),
  }));
  const [fc1, bn1, fc2, bn2, fc3] = ctx.g.scope('proj', () => [fc('fc1', inChannels), bn('bn1'), fc('fc2', c), bn('bn2'), fc('fc3', c)] as const);
  const linear = (x: Value, p: { w: Value; b: Value }): Value => gemm(x, p.w, p.b, { transB: true });
  const norm = (x: Value, w: Value, p: { gamma: Value; beta: Value }): Value => weightedBatchNorm(x, w, p.gamma, p.beta);
  return (x, w) => l2Normalize(linear(relu(norm(linear(relu(norm(linear(x, fc1), w, bn1)), fc2), w, bn2)), fc3), 1);
}

export function buildContrastiveTrainStep(spec: ContrastiveTrainSpec): TrainStepGraph {
  const { net, shape } = spec;
  const [d, h, w] = shape.spatial;
  try {
    checkContrastiveSampling({ patch: [w, h, d], pairs: shape.pairs, positives: shape.positives, levels: net.levels });
  } catch (err) {
    throw new TrainSpecError((err as Error).message);
  }
  const slots = shape.pairs * shape.positives;
  const g = new Graph('contrastive_train_step');
  const ctx = createNetContext(g);
  const image = g.input(CONTRASTIVE_INPUTS.image, 'float32', [2 * shape.pairs, net.inChannels, d, h, w], 'data');
  const weights = g.input(CONTRASTIVE_INPUTS.weights, 'float32', [slots], 'data');
  const idx = ([1, 2] as const).map((view) => Array.from({ length: net.levels }, (_, l) => g.input(CONTRASTIVE_INPUTS.idx(view, l), 'int64', [slots], 'data')));
  const pyramid = g.scope('backbone', () => fpn3d(ctx, image, net)); // finest first: level l at 1/2^l
  const embeddings = g.scope('embed', () => {
    const rows = pyramid.map((level) => {
      const [n, c, ...s] = level.shape;
      return reshape(transpose(level, [0, 2, 3, 4, 1]), [n! * s.reduce((a, b) => a * b, 1), c!]);
    });
    return idx.map((levels) => concat(levels.map((i, l) => gather(rows[l]!, i, 0)), 1)); // [slots, embeddingChannels]
  });
  const head = projectionHead(ctx, embeddingChannels(net));
  const [z1, z2] = embeddings.map((e) => head(e, weights));
  const loss = g.output(g.scope('loss', () => infoNce({ z1: z1!, z2: z2!, weights, temperature: spec.temperature ?? VOX2VEC_TEMPERATURE })), 'loss');
  return appendTrainUpdate(g, ctx.params, loss, spec.optimizer, 'contrastive');
}
