/**
 * The denoiser of diffusion pretraining (issue 11): the engine's FPN3d backbone (`backbone.*`, the same module as the
 * segmenter's, so its checkpoint can feed probing as it is) with FiLM after every norm, driven by the timestep:
 *   temb [N, timeChannels] (sinusoidal, host-side) -> temb.fc1 -> SiLU -> temb.fc2 -> SiLU -> cond [N, timeChannels]
 *   backbone(x_t, cond) -> pyramid -> head (vox2vec's non-linear FPN head, `head.*`) -> epsilon [N, outChannels, D, H, W]
 * The SiLU after fc2 is computed once here rather than in every FiLM layer (DDPM's temb_proj(nonlinearity(temb))).
 * The head reads every level down to full resolution, so epsilon is predicted at the input's resolution; its norms
 * are not conditioned (FiLM goes after the backbone's norms, which are what probing reuses).
 */
import type { Value } from '../graph/graph.js';
import { silu } from '../ops/index.js';
import { fpn3d, type Fpn3dConfig } from '../nn/fpn3d.js';
import { fpnHead } from '../nn/heads.js';
import { linear, NetConfigError } from '../nn/layers.js';
import type { NetContext } from '../nn/params.js';

export interface DiffusionNetConfig extends Fpn3dConfig {
  readonly net: 'diffusion-fpn3d';
  /** Width of the sinusoidal embedding and of the time MLP (DDPM uses 4 x the base channels). */
  readonly timeChannels: number;
  /** Hidden channels of the epsilon head. */
  readonly headChannels: number;
  /** Channels of epsilon: the image's channels (conditioning channels, if any, are not noised). */
  readonly outChannels: number;
}

export function checkDiffusionNetConfig(cfg: DiffusionNetConfig): void {
  for (const [name, v] of [['channels', cfg.channels], ['levels', cfg.levels], ['blocksPerLevel', cfg.blocksPerLevel], ['inChannels', cfg.inChannels],
    ['groups', cfg.groups], ['headChannels', cfg.headChannels], ['outChannels', cfg.outChannels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new NetConfigError(`diffusion: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(cfg.timeChannels) || cfg.timeChannels < 4 || cfg.timeChannels % 2 !== 0) {
    throw new NetConfigError(`diffusion: timeChannels must be an even integer >= 4, got ${cfg.timeChannels}`);
  }
}

/** The spatial multiple inputs need (the backbone's total downsampling). */
export function diffusionSpatialMultiple(cfg: DiffusionNetConfig): number {
  return 2 ** (cfg.levels - 1);
}

/** The activated time MLP output [N, timeChannels] that every FiLM layer reads. */
export function timeMlp(ctx: NetContext, temb: Value, cfg: DiffusionNetConfig): Value {
  return ctx.g.scope('temb', () => silu(linear(ctx, 'fc2', silu(linear(ctx, 'fc1', temb, cfg.timeChannels)), cfg.timeChannels)));
}

/** Predicted epsilon [N, outChannels, D, H, W] for x_t [N, inChannels, D, H, W] and temb [N, timeChannels], and the pyramid. */
export function diffusionNet(ctx: NetContext, xt: Value, temb: Value, cfg: DiffusionNetConfig): { eps: Value; pyramid: Value[] } {
  checkDiffusionNetConfig(cfg);
  if (temb.shape.length !== 2 || temb.shape[0] !== xt.shape[0] || temb.shape[1] !== cfg.timeChannels) {
    throw new NetConfigError(`diffusion: temb must be [${xt.shape[0]}, ${cfg.timeChannels}], got [${temb.shape.join(', ')}]`);
  }
  const cond = timeMlp(ctx, temb, cfg);
  const pyramid = ctx.g.scope('backbone', () => fpn3d(ctx, xt, cfg, { cond }));
  const eps = ctx.g.scope('head', () => fpnHead(ctx, pyramid, cfg.outChannels, cfg.headChannels, cfg));
  return { eps, pyramid };
}

const SIZES = {
  tiny: { channels: 4, levels: 3, headChannels: 8 }, // gradient checks and reference tests
  small: { channels: 16, levels: 4, headChannels: 16 }, // CPU pretraining
  paper: { channels: 16, levels: 6, headChannels: 32 }, // method.md's backbone, 16..512 channels
} as const;

export function diffusionPresetConfig(size: keyof typeof SIZES, overrides: Partial<DiffusionNetConfig> = {}): DiffusionNetConfig {
  const sizes = SIZES[size];
  const cfg: DiffusionNetConfig = {
    net: 'diffusion-fpn3d', inChannels: 1, outChannels: 1, norm: 'group', groups: 8, activation: 'leakyrelu', blocksPerLevel: 2,
    ...sizes, timeChannels: Math.max(16, 4 * (overrides.channels ?? sizes.channels)), ...overrides,
  };
  checkDiffusionNetConfig(cfg);
  return Object.freeze(cfg);
}
