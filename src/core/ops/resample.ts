import type { Value } from '../graph/graph.js';
import { GraphError, shapeString } from '../graph/types.js';
import { type OpDef, apply1, as, inputAt, one, typeAt } from './op.js';
import { conv3d } from './conv.js';
import { add } from './elementwise.js';
import { matmul } from './linear.js';
import { reduceSum } from './reduce.js';
import { concat, reshape, slice, transpose } from './shape.js';

/** Nearest-neighbour x2 upsampling of the three spatial axes of NCDHW. */
export const upsampleNearest2xOp: OpDef = {
  type: 'upsampleNearest2x',
  infer: (inputs) => {
    const x = typeAt(inputs, 0);
    if (x.shape.length !== 5) throw new Error(`needs NCDHW, got ${shapeString(x.shape)}`);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 2 * d)) }];
  },
  emit: (ctx, n) => {
    const x = inputAt(n.inputs, 0, n.name);
    const y = one(n.outputs, n.name);
    const [b, c, d, h, w] = x.shape as [number, number, number, number, number];
    if (ctx.lowering.upsampleNearest === 'expand') {
      const [r, e] = [ctx.temp('r'), ctx.temp('e')];
      ctx.node('Reshape', [x.name, ctx.ints([b, c, d, 1, h, 1, w, 1])], [r]);
      ctx.node('Expand', [r, ctx.ints([b, c, d, 2, h, 2, w, 2])], [e]);
      ctx.node('Reshape', [e, ctx.ints(y.shape)], [y.name]);
      return;
    }
    // asymmetric + floor maps output i to input floor(i / 2): exact nearest x2
    ctx.node('Resize', [x.name, '', ctx.tensor('float32', [5], [1, 1, 2, 2, 2])], [y.name], {
      mode: as('nearest'), coordinate_transformation_mode: as('asymmetric'), nearest_mode: as('floor'),
    });
  },
  grad: (n, [dy]) => {
    if (!dy) return [];
    const [b, c, d, h, w] = inputAt(n.inputs, 0, n.name).shape as [number, number, number, number, number];
    return [reduceSum(reshape(dy, [b, c, d, 2, h, 2, w, 2]), [3, 5, 7])];
  },
};

export const upsampleNearest2x = (x: Value): Value => apply1(x.graph, upsampleNearest2xOp, [x], {}, 'upsample');

/**
 * 3-D pixel shuffle: [N, C r^3, D, H, W] -> [N, C, rD, rH, rW]; input channel c r^3 + (i r^2 + j r + k) goes to
 * offset (i, j, k) of output channel c (PyTorch's PixelShuffle order, extended to 3-D). Reshape/Transpose only.
 */
export function pixelShuffle3d(x: Value, r: number): Value {
  const [b, cr, d, h, w] = x.shape as [number, number, number, number, number];
  if (x.shape.length !== 5 || cr % (r * r * r) !== 0) throw new GraphError(`pixelShuffle3d at "${x.graph.path}": ${x.name}${shapeString(x.shape)} channels not divisible by ${r}^3`, x.name, x.graph.path);
  const c = cr / (r * r * r);
  const split = reshape(x, [b, c, r, r, r, d, h, w]);
  const moved = transpose(split, [0, 1, 5, 2, 6, 3, 7, 4]);
  return reshape(moved, [b, c, d * r, h * r, w * r]);
}

/** Per axis, which of the 3 kernel taps each of the 2 low-resolution taps sums, for output parity 0 and 1. */
const PARITY_TAPS: readonly (readonly (readonly number[])[])[] = [
  [[1, 0, 0], [0, 1, 1]], // even outputs 2m: x[m-1] w0 + x[m] (w1 + w2)
  [[1, 1, 0], [0, 0, 1]], // odd outputs 2m+1: x[m] (w0 + w1) + x[m+1] w2
];

/**
 * conv3d(upsampleNearest2x(x), w, bias, { pad: 1 }) for a 3x3x3 kernel, computed at the LOW resolution: each of the
 * 8 output parities is a 2x2x2 conv of x with summed taps of w, then the parities are interleaved (pixel shuffle).
 * 16 instead of 54 multiply-adds per (Ci, Co, output voxel) pair, forward and backward, and no upsampled copy of x.
 * Composed from differentiable ops, so its gradient needs no rule of its own.
 */
export function upsampleConv3d(x: Value, w: Value, bias?: Value): Value {
  const [n, ci, d, h, wd] = x.shape as [number, number, number, number, number];
  const [co, wci, ...k] = w.shape as [number, number, number, number, number];
  if (x.shape.length !== 5 || wci !== ci || k.some((kk) => kk !== 3)) {
    throw new GraphError(`upsampleConv3d at "${x.graph.path}" needs x [N, Ci, D, H, W] and w [Co, Ci, 3, 3, 3], got ${shapeString(x.shape)} and ${shapeString(w.shape)}`, x.name, x.graph.path);
  }
  const g = x.graph;
  const select = new Array<number>(27 * 64).fill(0);
  for (let k0 = 0; k0 < 3; k0++) for (let k1 = 0; k1 < 3; k1++) for (let k2 = 0; k2 < 3; k2++) {
    for (let p = 0; p < 8; p++) for (let t = 0; t < 8; t++) {
      const [q0, q1, q2] = [p >> 2, (p >> 1) & 1, p & 1];
      const [t0, t1, t2] = [t >> 2, (t >> 1) & 1, t & 1];
      select[(k0 * 9 + k1 * 3 + k2) * 64 + p * 8 + t] = PARITY_TAPS[q0]![t0]![k0]! * PARITY_TAPS[q1]![t1]![k1]! * PARITY_TAPS[q2]![t2]![k2]!;
    }
  }
  const selection = g.constant('parity_taps', w.dtype, [27, 64], w.dtype === 'float64' ? Float64Array.from(select) : Float32Array.from(select));
  const wParity = reshape(matmul(reshape(w, [co * ci, 27]), selection), [co, ci, 8, 8]);
  const parts: Value[] = [];
  for (let p = 0; p < 8; p++) {
    const q = [p >> 2, (p >> 1) & 1, p & 1];
    const wp = reshape(slice(wParity, { starts: [p], ends: [p + 1], axes: [2] }), [co, ci, 2, 2, 2]);
    // even outputs read x[m-1], x[m] (pad before); odd ones x[m], x[m+1] (pad after): no padded copy of x
    parts.push(conv3d(x, wp, undefined, { pad: [...q.map((v) => 1 - v), ...q] }));
  }
  const stacked = reshape(concat(parts, 1), [n, 2, 2, 2, co, d, h, wd]);
  const y = reshape(transpose(stacked, [0, 4, 5, 1, 6, 2, 7, 3]), [n, co, 2 * d, 2 * h, 2 * wd]);
  return bias ? add(y, reshape(bias, [1, co, 1, 1, 1])) : y;
}
