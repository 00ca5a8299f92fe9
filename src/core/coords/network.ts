/**
 * The coordinate network (docs/coords.md): the engine's FPN3d backbone (`backbone.*`, the same module as the
 * segmenter's, so a coordinate model's backbone could initialise one) and APE's head (`head.*`): a 1x1 conv per
 * pyramid level to 3 channels, summed top-down and left at stride 4, a sigmoid, times a learnable per-axis scale
 * (`head.scale`, [1, 3, 1, 1, 1], ones at the start as in APE). Its output is the embedding map the loss reads.
 */
import type { Value } from '../graph/graph.js';
import { mul, sigmoid } from '../ops/index.js';
import { fpn3d, type Fpn3dConfig } from '../nn/fpn3d.js';
import { linearHead } from '../nn/heads.js';
import { NetConfigError } from '../nn/layers.js';
import { param, type NetContext } from '../nn/params.js';

export interface CoordsNetConfig extends Fpn3dConfig {
  readonly net: 'coords-fpn3d';
}

/** The map's stride: APE reads embeddings at `index // 4`. */
export const COORDS_STRIDE = 4;
const HEAD_LEVEL = Math.log2(COORDS_STRIDE);
export const COORDS_CHANNELS = 3;

export function checkCoordsNetConfig(cfg: CoordsNetConfig): void {
  if (!Number.isInteger(cfg.levels) || cfg.levels <= HEAD_LEVEL) {
    throw new NetConfigError(`coords: the head reads the pyramid from stride ${COORDS_STRIDE}, so levels must be at least ${HEAD_LEVEL + 1}, got ${cfg.levels}`);
  }
  for (const [name, v] of [['channels', cfg.channels], ['blocksPerLevel', cfg.blocksPerLevel], ['inChannels', cfg.inChannels], ['groups', cfg.groups]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new NetConfigError(`coords: ${name} must be a positive integer, got ${v}`);
  }
}

/** The spatial multiple inputs need (the backbone's total downsampling). */
export function coordsSpatialMultiple(cfg: CoordsNetConfig): number {
  return 2 ** (cfg.levels - 1);
}

/** Embeddings [N, 3, D/4, H/4, W/4] for x [N, inChannels, D, H, W]. */
export function coordsNet(ctx: NetContext, x: Value, cfg: CoordsNetConfig): Value {
  checkCoordsNetConfig(cfg);
  const pyramid = ctx.g.scope('backbone', () => fpn3d(ctx, x, cfg, { finestLevel: HEAD_LEVEL }));
  return ctx.g.scope('head', () => {
    const y = sigmoid(linearHead(ctx, pyramid, COORDS_CHANNELS));
    const scale = param(ctx, 'scale', [1, COORDS_CHANNELS, 1, 1, 1], { kind: 'constant', value: 1 });
    return mul(y, scale);
  });
}

const SIZES = {
  tiny: { channels: 4, levels: 3 },
  small: { channels: 16, levels: 4 },
  paper: { channels: 16, levels: 6 },
} as const;

export function coordsPresetConfig(size: keyof typeof SIZES, overrides: Partial<CoordsNetConfig> = {}): CoordsNetConfig {
  const cfg: CoordsNetConfig = {
    net: 'coords-fpn3d', inChannels: 1, norm: 'group', groups: 8, activation: 'leakyrelu', blocksPerLevel: 2, ...SIZES[size], ...overrides,
  };
  checkCoordsNetConfig(cfg);
  return Object.freeze(cfg);
}
