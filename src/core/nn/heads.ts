import type { Value } from '../graph/graph.js';
import { add, upsampleNearest2x } from '../ops/index.js';
import { activate, conv, norm, upConv, type BlockStyle } from './layers.js';
import type { NetContext } from './params.js';

/**
 * vox2vec's linear head: a 1x1 conv per pyramid level to `classes` channels (level{i}), summed top-down after
 * nearest x2 upsampling. `pyramid` is finest first. About 13k parameters at the paper size.
 */
export function linearHead(ctx: NetContext, pyramid: readonly Value[], classes: number): Value {
  const top = pyramid.length - 1;
  let y = conv(ctx, `level${top}`, at(pyramid, top), classes, { kernel: 1 });
  for (let i = top - 1; i >= 0; i--) {
    y = add(ctx.g.scope(`level${i}`, () => upsampleNearest2x(y)), conv(ctx, `level${i}`, at(pyramid, i), classes, { kernel: 1 }));
  }
  return y;
}

/**
 * Non-linear FPN head: top 1x1 conv to `hidden`; per level going up, 1x1 conv + nearest x2 (up{i}) plus a 1x1 skip
 * (skip{i}), then a pre-activation residual block of 1x1 convs (res{i}); a final 1x1 conv to `classes` (out).
 */
export function fpnHead(ctx: NetContext, pyramid: readonly Value[], classes: number, hidden: number, style: BlockStyle): Value {
  const top = pyramid.length - 1;
  let y = conv(ctx, 'top', at(pyramid, top), hidden, { kernel: 1 });
  for (let i = top - 1; i >= 0; i--) {
    y = add(upConv(ctx, `up${i}`, y, hidden, 'nearest'), conv(ctx, `skip${i}`, at(pyramid, i), hidden, { kernel: 1 }));
    const input = y;
    y = ctx.g.scope(`res${i}`, () => {
      const h = conv(ctx, 'conv1', activate(norm(ctx, 'norm1', input, style), style.activation), hidden, { kernel: 1 });
      return add(input, conv(ctx, 'conv2', activate(norm(ctx, 'norm2', h, style), style.activation), hidden, { kernel: 1 }));
    });
  }
  return conv(ctx, 'out', y, classes, { kernel: 1 });
}

function at(pyramid: readonly Value[], i: number): Value {
  const v = pyramid[i];
  if (!v) throw new Error(`head: pyramid has no level ${i} (${pyramid.length} levels)`);
  return v;
}
