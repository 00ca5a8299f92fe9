/**
 * Models Genesis' training step (issue 11's restorative baseline): the segmenter's FPN3d backbone (`backbone.*`, the
 * same module and names, so the checkpoint feeds `train --backbone` as it is) with vox2vec's FPN head (`head.*`) to
 * one channel, a sigmoid, and the MSE to the uncorrupted patch, in the StepGraph shape of the segmentation step:
 *   loss = mean (sigmoid(head(backbone(image))) - target)^2
 * Data inputs: `image` [B, 1, D, H, W], the corrupted patch (genesisSample's input), and `target` [B, 1, D, H, W],
 * the original (its target), both in [0, 1].
 */
import { Graph } from '../graph/graph.js';
import { mseLoss, sigmoid } from '../ops/index.js';
import { presetConfig, segmenter, spatialMultiple, type Fpn3dSegmenterConfig, type SizePreset } from '../nn/networks.js';
import { createNetContext } from '../nn/params.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { appendTrainUpdate, TrainSpecError, type TrainStepGraph } from '../train/step.js';

export interface GenesisTrainSpec {
  readonly net: Fpn3dSegmenterConfig;
  readonly optimizer: OptimizerConfig;
  readonly shape: { readonly batch: number; readonly spatial: readonly [number, number, number] };
}

/** Graph input names of the data a Genesis step reads. */
export const GENESIS_INPUTS = { image: 'image', target: 'target' } as const;

/** The segmenter preset's backbone with a non-linear (FPN) head to one channel: the reconstruction. */
export function genesisNetConfig(size: SizePreset): Fpn3dSegmenterConfig {
  return presetConfig('fpn3d', size, { head: 'fpn', outChannels: 1 });
}

export function buildGenesisTrainStep(spec: GenesisTrainSpec): TrainStepGraph {
  const { net, shape } = spec;
  if (net.outChannels !== net.inChannels) throw new TrainSpecError(`genesis: the reconstruction has ${net.outChannels} channels but the image ${net.inChannels}`);
  const m = spatialMultiple(net);
  if (!Number.isInteger(shape.batch) || shape.batch < 1) throw new TrainSpecError(`genesis: batch must be a positive integer, got ${shape.batch}`);
  for (const s of shape.spatial) {
    if (!Number.isInteger(s) || s < m || s % m !== 0) throw new TrainSpecError(`genesis: patch size [${shape.spatial.join(', ')}] must be positive multiples of ${m}`);
  }
  const g = new Graph('genesis_train_step');
  const ctx = createNetContext(g);
  const dims = [shape.batch, net.inChannels, ...shape.spatial];
  const image = g.input(GENESIS_INPUTS.image, 'float32', dims, 'data');
  const target = g.input(GENESIS_INPUTS.target, 'float32', dims, 'data');
  const restored = sigmoid(segmenter(ctx, image, net));
  const loss = g.output(g.scope('loss', () => mseLoss(restored, target)), 'loss');
  return appendTrainUpdate(g, ctx.params, loss, spec.optimizer, 'genesis');
}
