import type { Value } from '../graph/graph.js';
import { fpn3d, type Fpn3dConfig } from './fpn3d.js';
import { fpnHead, linearHead } from './heads.js';
import { NetConfigError } from './layers.js';
import type { NetContext } from './params.js';
import { unet, type UNetConfig } from './unet.js';

/** FPN3d backbone (`backbone.*`) with a head (`head.*`); probing freezes `backbone.`. */
export interface Fpn3dSegmenterConfig extends Fpn3dConfig {
  readonly net: 'fpn3d';
  readonly outChannels: number;
  readonly head: 'linear' | 'fpn';
  /** Hidden channels of the non-linear head. */
  readonly headChannels: number;
}

/** Every network that maps an image to per-voxel logits. Plain JSON: it goes into checkpoint manifests. */
export type SegmenterConfig = UNetConfig | Fpn3dSegmenterConfig;
export type SizePreset = 'tiny' | 'small' | 'paper';

/** Logits [N, outChannels, D, H, W] for x [N, inChannels, D, H, W]. */
export function segmenter(ctx: NetContext, x: Value, cfg: SegmenterConfig): Value {
  switch (cfg.net) {
    case 'unet':
      return unet(ctx, x, cfg);
    case 'fpn3d': {
      const pyramid = ctx.g.scope('backbone', () => fpn3d(ctx, x, cfg));
      return ctx.g.scope('head', () =>
        cfg.head === 'linear' ? linearHead(ctx, pyramid, cfg.outChannels) : fpnHead(ctx, pyramid, cfg.outChannels, cfg.headChannels, cfg));
    }
  }
}

/** The smallest spatial size multiple a network accepts (its total downsampling). */
export function spatialMultiple(cfg: SegmenterConfig): number {
  return cfg.net === 'unet' ? 4 : 2 ** (cfg.levels - 1);
}

const UNET_CHANNELS: Record<SizePreset, number> = { tiny: 4, small: 16, paper: 32 };
const FPN_SIZES: Record<SizePreset, { channels: number; levels: number }> = {
  tiny: { channels: 4, levels: 3 }, // gradient checks and reference tests: milliseconds per step
  small: { channels: 16, levels: 4 }, // CPU work
  paper: { channels: 16, levels: 6 }, // method.md: 16..512 channels, about 47.6M parameters
};

/** A network config from a preset; `overrides` change single fields (e.g. channels for a benchmark). */
export function presetConfig(net: 'unet', size: SizePreset, overrides?: Partial<UNetConfig>): UNetConfig;
export function presetConfig(net: 'fpn3d', size: SizePreset, overrides?: Partial<Fpn3dSegmenterConfig>): Fpn3dSegmenterConfig;
export function presetConfig(net: SegmenterConfig['net'], size: SizePreset, overrides?: Partial<SegmenterConfig>): SegmenterConfig;
export function presetConfig(net: SegmenterConfig['net'], size: SizePreset, overrides: Partial<SegmenterConfig> = {}): SegmenterConfig {
  const common = { inChannels: 1, outChannels: 2, norm: 'group', groups: 8 } as const;
  const cfg: SegmenterConfig = net === 'unet'
    ? { net, ...common, channels: UNET_CHANNELS[size], activation: 'silu', upsample: 'nearest', ...(overrides as Partial<UNetConfig>) }
    : { net, ...common, ...FPN_SIZES[size], activation: 'leakyrelu', blocksPerLevel: 2, head: 'linear', headChannels: 32, ...(overrides as Partial<Fpn3dSegmenterConfig>) };
  checkSegmenterConfig(cfg);
  return Object.freeze(cfg);
}

export function checkSegmenterConfig(cfg: SegmenterConfig): void {
  const positive = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new NetConfigError(`${cfg.net}: ${name} must be a positive integer, got ${v}`);
  };
  positive('channels', cfg.channels);
  positive('inChannels', cfg.inChannels);
  positive('outChannels', cfg.outChannels);
  positive('groups', cfg.groups);
  if (cfg.net === 'fpn3d') {
    positive('levels', cfg.levels);
    positive('blocksPerLevel', cfg.blocksPerLevel);
    positive('headChannels', cfg.headChannels);
  }
}
