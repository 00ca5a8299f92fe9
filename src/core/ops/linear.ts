import type { Value } from '../graph/graph.js';
import { shapeString } from '../graph/types.js';
import { add, mul, sumTo } from './elementwise.js';
import { type OpDef, apply1, inputAt, names, typeAt } from './op.js';
import { reshape, transpose } from './shape.js';

function swapLast(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return transpose(x, perm);
}

/** Matrix product over the last two axes; batch axes must be equal, or `b` is 2-D (shared). */
export const matmulOp: OpDef = {
  type: 'matmul',
  infer: (inputs) => {
    const a = typeAt(inputs, 0);
    const b = typeAt(inputs, 1);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const fail = (): never => { throw new Error(`cannot multiply ${shapeString(a.shape)} by ${shapeString(b.shape)}`); };
    if (ra < 2 || rb < 2 || a.dtype !== b.dtype) fail();
    if (a.shape[ra - 1] !== b.shape[rb - 2]) fail();
    if (rb > 2 && (rb !== ra || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i]))) fail();
    return [{ dtype: a.dtype, shape: [...a.shape.slice(0, -1), b.shape[rb - 1] ?? 0] }];
  },
  emit: (ctx, n) => ctx.node('MatMul', names(n.inputs), names(n.outputs)),
  grad: (n, [dy]) => {
    if (!dy) return [];
    const a = inputAt(n.inputs, 0, n.name);
    const b = inputAt(n.inputs, 1, n.name);
    return [matmul(dy, swapLast(b)), sumTo(matmul(swapLast(a), dy), b.shape)];
  },
};

export const matmul = (a: Value, b: Value): Value => apply1(a.graph, matmulOp, [a, b], {}, 'matmul');

export interface GemmOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
}

/** a' b' + c for 2-D a, b (primes: optional transposes), as in torch.nn.Linear with transB. */
export function gemm(a: Value, b: Value, c?: Value, opts: GemmOptions = {}): Value {
  const ab = matmul(opts.transA ? swapLast(a) : a, opts.transB ? swapLast(b) : b);
  return c ? add(ab, c) : ab;
}

/** FiLM: x * scale + shift with scale and shift [N, C] broadcast over the spatial axes of x [N, C, ...]. */
export function scaleShift(x: Value, scale: Value, shift: Value): Value {
  const ones = x.shape.slice(2).map(() => 1);
  const [b, c] = x.shape as [number, number];
  return add(mul(x, reshape(scale, [b, c, ...ones])), reshape(shift, [b, c, ...ones]));
}

/**
 * FiLM as diffusion models use it: x * (1 + scale) + shift, scale and shift [N, C] broadcast over the spatial axes of
 * x [N, C, ...]. The 1 + makes a zero-initialised or zero conditioning the identity.
 */
export function film(x: Value, scale: Value, shift: Value): Value {
  return scaleShift(x, add(scale, 1), shift);
}
