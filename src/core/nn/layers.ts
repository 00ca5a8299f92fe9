import type { Value } from '../graph/graph.js';
import { add, conv3d, film, gelu, gemm, groupNorm, instanceNorm, leakyRelu, relu, silu, slice, upsampleNearest2x, pixelShuffle3d } from '../ops/index.js';
import { param, type NetContext } from './params.js';

export type NormKind = 'group' | 'instance';
export type ActivationKind = 'silu' | 'relu' | 'leakyrelu' | 'gelu';
export type UpsampleKind = 'nearest' | 'pixelshuffle';

/** The norm and activation every block of a network uses. */
export interface BlockStyle {
  readonly norm: NormKind;
  /** GroupNorm groups (reduced until it divides the channel count). Ignored by instance norm. */
  readonly groups: number;
  readonly activation: ActivationKind;
}

export class NetConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetConfigError';
  }
}

function channelsOf(x: Value): number {
  const c = x.shape[1];
  if (x.shape.length !== 5 || c === undefined) throw new NetConfigError(`${x.name}: expected NCDHW, got shape [${x.shape.join(', ')}]`);
  return c;
}

/** Conv3d with PyTorch's default init, as module `name` (params `${name}.weight`, `${name}.bias`). */
export function conv(ctx: NetContext, name: string, x: Value, cout: number, opts: { kernel: 1 | 3; stride?: 1 | 2 }): Value {
  const cin = channelsOf(x);
  const k = opts.kernel;
  return ctx.g.scope(name, () => {
    const bound = 1 / Math.sqrt(cin * k * k * k); // kaiming_uniform(a=sqrt(5)) and the bias rule both give this
    const w = param(ctx, 'weight', [cout, cin, k, k, k], { kind: 'uniform', bound });
    const b = param(ctx, 'bias', [cout], { kind: 'uniform', bound });
    return conv3d(x, w, b, { stride: opts.stride ?? 1, pad: k === 3 ? 1 : 0 });
  });
}

/** Largest group count <= `groups` dividing `channels` (the same rule as the PyTorch peer). */
export function groupsFor(channels: number, groups: number): number {
  let g = Math.min(groups, channels);
  while (channels % g !== 0) g -= 1;
  return g;
}

/** GroupNorm or InstanceNorm with affine gamma/beta (PyTorch eps 1e-5), as module `name`. */
export function norm(ctx: NetContext, name: string, x: Value, style: BlockStyle): Value {
  const c = channelsOf(x);
  return ctx.g.scope(name, () => {
    const gamma = param(ctx, 'weight', [c], { kind: 'constant', value: 1 });
    const beta = param(ctx, 'bias', [c], { kind: 'constant', value: 0 });
    return style.norm === 'group'
      ? groupNorm(x, gamma, beta, { groups: groupsFor(c, style.groups), eps: 1e-5 })
      : instanceNorm(x, gamma, beta, { eps: 1e-5 });
  });
}

export function activate(x: Value, kind: ActivationKind): Value {
  switch (kind) {
    case 'silu': return silu(x);
    case 'relu': return relu(x);
    case 'leakyrelu': return leakyRelu(x, 0.01);
    case 'gelu': return gelu(x);
  }
}

/** conv3 (stride 1 or 2) -> norm -> activation, as module `name` (`name.conv`, `name.norm`). */
export function convNormAct(ctx: NetContext, name: string, x: Value, cout: number, style: BlockStyle, stride: 1 | 2 = 1): Value {
  return ctx.g.scope(name, () => activate(norm(ctx, 'norm', conv(ctx, 'conv', x, cout, { kernel: 3, stride }), style), style.activation));
}

/** Two convNormAct at stride 1 (`name.block1`, `name.block2`): a UNet level. */
export function doubleConv(ctx: NetContext, name: string, x: Value, cout: number, style: BlockStyle): Value {
  return ctx.g.scope(name, () => convNormAct(ctx, 'block2', convNormAct(ctx, 'block1', x, cout, style), cout, style));
}

/** torch.nn.Linear as module `name`: x [N, in] -> [N, out]; weight [out, in] and bias [out], both U(+-1/sqrt(in)). */
export function linear(ctx: NetContext, name: string, x: Value, out: number): Value {
  const [, cin] = x.shape;
  if (x.shape.length !== 2 || cin === undefined) throw new NetConfigError(`${x.name}: linear expects [N, features], got shape [${x.shape.join(', ')}]`);
  return ctx.g.scope(name, () => {
    const bound = 1 / Math.sqrt(cin);
    const w = param(ctx, 'weight', [out, cin], { kind: 'uniform', bound });
    const b = param(ctx, 'bias', [out], { kind: 'uniform', bound });
    return gemm(x, w, b, { transB: true });
  });
}

/**
 * FiLM conditioning of normalised features x [N, C, ...] by a vector cond [N, K] (already through its activation,
 * as DDPM's `temb_proj(nonlinearity(temb))`): module `name` is one Linear K -> 2C whose first C outputs are the scale
 * and last C the shift, and the result is x * (1 + scale) + shift (a zero scale and shift leave x unchanged).
 */
export function filmLayer(ctx: NetContext, name: string, x: Value, cond: Value): Value {
  const c = channelsOf(x);
  const params = linear(ctx, name, cond, 2 * c);
  return ctx.g.scope(name, () => film(x, slice(params, { starts: [0], ends: [c], axes: [1] }), slice(params, { starts: [c], ends: [2 * c], axes: [1] })));
}

/**
 * Pre-activation residual block: x + conv2(act(norm2(conv1(act(norm1(x)))))) (vox2vec's ResBlock3d with
 * GroupNorm/InstanceNorm instead of BatchNorm, since batch 1 on a CPU makes BatchNorm meaningless).
 * With `cond` (diffusion's timestep embedding), FiLM follows each norm (`film1`, `film2`); without it the block
 * creates exactly the parameters and nodes it always did, so existing networks and checkpoints are unchanged.
 */
export function resBlock(ctx: NetContext, name: string, x: Value, style: BlockStyle, cond?: Value): Value {
  const c = channelsOf(x);
  return ctx.g.scope(name, () => {
    const normed = (n: string, f: string, v: Value): Value => {
      const h = norm(ctx, n, v, style);
      return cond ? filmLayer(ctx, f, h, cond) : h;
    };
    const h = conv(ctx, 'conv1', activate(normed('norm1', 'film1', x), style.activation), c, { kernel: 3 });
    const y = conv(ctx, 'conv2', activate(normed('norm2', 'film2', h), style.activation), c, { kernel: 3 });
    return add(x, y);
  });
}

/** `count` resBlocks named res0, res1, ... under `name` (each FiLM-conditioned on `cond` when given). */
export function resStack(ctx: NetContext, name: string, x: Value, count: number, style: BlockStyle, cond?: Value): Value {
  return ctx.g.scope(name, () => {
    let h = x;
    for (let j = 0; j < count; j++) h = resBlock(ctx, `res${j}`, h, style, cond);
    return h;
  });
}

/**
 * x2 upsampling with a 1x1 conv (`name.conv`). 'nearest': the 1x1 conv runs BEFORE nearest x2; the two commute
 * (a pointwise conv of repeated voxels is the repeated pointwise conv) and this order costs 8x fewer FLOPs.
 * 'pixelshuffle': 1x1 conv to 8*cout channels, then a 2x pixel shuffle.
 */
export function upConv(ctx: NetContext, name: string, x: Value, cout: number, mode: UpsampleKind): Value {
  return ctx.g.scope(name, () => {
    if (mode === 'pixelshuffle') return pixelShuffle3d(conv(ctx, 'conv', x, cout * 8, { kernel: 1 }), 2);
    return upsampleNearest2x(conv(ctx, 'conv', x, cout, { kernel: 1 }));
  });
}
