/**
 * The coordinate model's training step: one graph with forward, APE's loss, backward and the optimizer update, in
 * the same StepGraph shape as the segmentation step (src/core/train/step.ts), so the same runtime trains it.
 *
 * One step sees `pairs` crop pairs of ONE CT, as APE's datamodule does (8 by default): the network runs once on a
 * batch of 2 * pairs crops (every pair's view 1, then every pair's view 2), its stride-4 map is flattened to
 * [3, 2 * pairs * voxels], and the loss pools every pair. Slot order (the batch assembler keeps it):
 *   view 1: pair 0..P-1 body slots, then pair 0..P-1 background slots     (indices into the first half of the map)
 *   view 2: the same, body slot s holding the same physical voxel as view 1's slot s (indices into the second half)
 */
import { Graph } from '../graph/graph.js';
import { reshape, transpose } from '../ops/index.js';
import { createNetContext, type ParamSpec } from '../nn/params.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import type { TrainStepGraph } from '../train/step.js';
import { appendTrainUpdate, TrainSpecError } from '../train/step.js';
import { apeLoss } from './ape-loss.js';
import { COORDS_CHANNELS, COORDS_STRIDE, coordsNet, coordsSpatialMultiple, type CoordsNetConfig } from './network.js';

export interface CoordsStepShape {
  /** Crop pairs per step (all from one CT). */
  readonly pairs: number;
  /** D, H, W of every crop (k, j, i of the resampled view). */
  readonly spatial: readonly [number, number, number];
  readonly bodySlots: number;
  readonly backgroundSlots: number;
}

export interface CoordsTrainSpec {
  readonly net: CoordsNetConfig;
  readonly optimizer: OptimizerConfig;
  readonly shape: CoordsStepShape;
}

export interface CoordsTrainStepGraph extends TrainStepGraph {
  /** The two terms, for logs: `pdist` and `consistency`. */
  readonly termOutputs: { readonly pdist: string; readonly consistency: string };
}

/** Slots per view over the whole step, and how many of them are shared. */
export function coordsSlots(shape: CoordsStepShape): { perView: number; shared: number } {
  return { perView: shape.pairs * (shape.bodySlots + shape.backgroundSlots), shared: shape.pairs * shape.bodySlots };
}

/** Voxels of one crop's stride-4 map. */
export function mapVoxels(spatial: readonly [number, number, number]): number {
  return spatial.reduce((n, s) => n * (s / COORDS_STRIDE), 1);
}

function checkShape(net: CoordsNetConfig, shape: CoordsStepShape): void {
  const m = coordsSpatialMultiple(net);
  if (!Number.isInteger(shape.pairs) || shape.pairs < 1) throw new TrainSpecError(`coords: pairs must be a positive integer, got ${shape.pairs}`);
  for (const s of shape.spatial) {
    if (!Number.isInteger(s) || s < Math.max(m, COORDS_STRIDE) || s % Math.max(m, COORDS_STRIDE) !== 0) {
      throw new TrainSpecError(`coords: crop size [${shape.spatial.join(', ')}] must be positive multiples of ${Math.max(m, COORDS_STRIDE)}`);
    }
  }
  for (const [name, v] of [['bodySlots', shape.bodySlots], ['backgroundSlots', shape.backgroundSlots]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new TrainSpecError(`coords: ${name} must be a non-negative integer, got ${v}`);
  }
  if (shape.bodySlots === 0) throw new TrainSpecError('coords: bodySlots must be at least 1 (the shared voxels carry the consistency term)');
}

export function buildCoordsTrainStep(spec: CoordsTrainSpec): CoordsTrainStepGraph {
  checkShape(spec.net, spec.shape);
  const { pairs, spatial } = spec.shape;
  const { perView, shared } = coordsSlots(spec.shape);
  const g = new Graph('coords_train_step');
  const ctx = createNetContext(g);
  const image = g.input('image', 'float32', [2 * pairs, spec.net.inChannels, ...spatial], 'data');
  const maps = coordsNet(ctx, image, spec.net); // [2P, 3, d, h, w]
  const flat = g.scope('embeddings', () => reshape(transpose(maps, [1, 0, 2, 3, 4]), [COORDS_CHANNELS, 2 * pairs * mapVoxels(spatial)]));
  const data = (name: string, dtype: 'float32' | 'int64', shape: number[]) => g.input(name, dtype, shape, 'data');
  const inputs = {
    idx1: data('idx1', 'int64', [perView]),
    idx2: data('idx2', 'int64', [perView]),
    pos1: data('pos1', 'float32', [perView, 3]),
    pos2: data('pos2', 'float32', [perView, 3]),
    w1: data('w1', 'float32', [perView]),
    w2: data('w2', 'float32', [perView]),
    shared: data('shared', 'float32', [shared]),
  };
  const terms = g.scope('loss', () => apeLoss({ emb1: flat, emb2: flat, ...inputs }));
  const loss = g.output(terms.total, 'loss');
  const pdist = g.output(terms.pdist, 'loss.pdist');
  const consistency = g.output(terms.consistency, 'loss.consistency');
  return { ...appendTrainUpdate(g, ctx.params, loss, spec.optimizer, 'coords'), termOutputs: { pdist: pdist.name, consistency: consistency.name } };
}

/** Forward only: embeddings `coords` [N, 3, D/4, H/4, W/4] for `image` [N, 1, D, H, W] (prediction and export). */
export function buildCoordsInferenceGraph(net: CoordsNetConfig, batch: number, spatial: readonly [number, number, number]): { graph: Graph; params: readonly ParamSpec[]; output: string } {
  const g = new Graph('coords_inference');
  const ctx = createNetContext(g);
  const image = g.input('image', 'float32', [batch, net.inChannels, ...spatial], 'data');
  const out = g.output(coordsNet(ctx, image, net), 'coords');
  return { graph: g, params: ctx.params, output: out.name };
}
