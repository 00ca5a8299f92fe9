import type { Value } from '../graph/graph.js';
import { add, maxPool3d } from '../ops/index.js';
import { conv, resStack, upConv, type BlockStyle } from './layers.js';
import type { NetContext } from './params.js';

/** vox2vec-style FPN3d backbone (method.md). Channels `channels * 2^i` at level i (1/2^i resolution). */
export interface Fpn3dConfig extends BlockStyle {
  readonly channels: number;
  readonly levels: number;
  readonly blocksPerLevel: number;
  readonly inChannels: number;
}

/**
 * The feature pyramid, finest level first: stem conv3, then per level `blocksPerLevel` residual blocks (left{i}),
 * down by max-pool 2 + 1x1 conv doubling channels (down{i}); the bottom's blocks; then back up by 1x1 conv + nearest
 * x2 (up{i}) plus a 1x1 skip of the left features (skip{i}) and residual blocks (right{i}).
 * Spatial sizes must be divisible by 2^(levels-1). Returns levels `finestLevel`..top, finest first.
 * `cond` [N, K] (diffusion's activated timestep embedding) adds FiLM after every norm of every residual block; absent,
 * the backbone is exactly the unconditioned one (same parameters, same graph).
 */
export function fpn3d(ctx: NetContext, x: Value, cfg: Fpn3dConfig, options: { finestLevel?: number; cond?: Value } = {}): Value[] {
  // A head that reads only coarser levels (the coordinate head starts at stride 4) stops the top-down path early, so
  // no parameter exists that the loss cannot reach.
  const finest = options.finestLevel ?? 0;
  const cond = options.cond;
  let h = conv(ctx, 'stem', x, cfg.channels, { kernel: 3 });
  const lefts: Value[] = [];
  for (let i = 0; i < cfg.levels - 1; i++) {
    h = resStack(ctx, `left${i}`, h, cfg.blocksPerLevel, cfg, cond);
    lefts.push(h);
    const level = h;
    h = ctx.g.scope(`down${i}`, () => conv(ctx, 'conv', maxPool3d(level, { kernel: 2, stride: 2 }), cfg.channels * 2 ** (i + 1), { kernel: 1 }));
  }
  h = resStack(ctx, 'bottom', h, cfg.blocksPerLevel, cfg, cond);
  const pyramid: Value[] = [h];
  for (let i = cfg.levels - 2; i >= finest; i--) {
    const left = lefts[i];
    if (!left) throw new Error(`fpn3d: missing left features of level ${i}`);
    const ci = cfg.channels * 2 ** i;
    h = add(upConv(ctx, `up${i}`, h, ci, 'nearest'), conv(ctx, `skip${i}`, left, ci, { kernel: 1 }));
    h = resStack(ctx, `right${i}`, h, cfg.blocksPerLevel, cfg, cond);
    pyramid.unshift(h);
  }
  return pyramid;
}
