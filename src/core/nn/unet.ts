import type { Value } from '../graph/graph.js';
import { concat } from '../ops/index.js';
import { conv, convNormAct, doubleConv, upConv, type BlockStyle, type UpsampleKind } from './layers.js';
import type { NetContext } from './params.js';

/** The 3-level UNet of the training benchmark: channels c, 2c, 4c. Field names equal the PyTorch peer's config. */
export interface UNetConfig extends BlockStyle {
  readonly net: 'unet';
  readonly channels: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly upsample: UpsampleKind;
}

/**
 * Logits [N, outChannels, D, H, W] for x [N, inChannels, D, H, W] (D, H, W divisible by 4).
 * enc0 -> down1 (stride-2 conv3) -> enc1 -> down2 -> enc2 (bottom) -> up1 + concat enc1 -> dec1 -> up0 + concat
 * enc0 -> dec0 -> 1x1 head. Every level is conv3-norm-act twice.
 */
export function unet(ctx: NetContext, x: Value, cfg: UNetConfig): Value {
  const c = cfg.channels;
  const e0 = doubleConv(ctx, 'enc0', x, c, cfg);
  const e1 = doubleConv(ctx, 'enc1', convNormAct(ctx, 'down1', e0, 2 * c, cfg, 2), 2 * c, cfg);
  const e2 = doubleConv(ctx, 'enc2', convNormAct(ctx, 'down2', e1, 4 * c, cfg, 2), 4 * c, cfg);
  const d1 = doubleConv(ctx, 'dec1', concat([upConv(ctx, 'up1', e2, 2 * c, cfg.upsample), e1], 1), 2 * c, cfg);
  const d0 = doubleConv(ctx, 'dec0', concat([upConv(ctx, 'up0', d1, c, cfg.upsample), e0], 1), c, cfg);
  return conv(ctx, 'head', d0, cfg.outChannels, { kernel: 1 });
}
