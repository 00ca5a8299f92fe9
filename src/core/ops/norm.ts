import type { GraphNode, Value } from '../graph/graph.js';
import { isFloat, shapeString } from '../graph/types.js';
import { type EmitContext, type OnnxAttr, type OpDef, af, ai, attrNum, inputAt, one, typeAt } from './op.js';

/**
 * GroupNorm (InstanceNorm is groups = C) over N,C,... tensors with per-channel gamma/beta [C].
 * The node has three outputs: y, and the per-(n, group) mean and 1/std [N, G, 1] that the backward reuses.
 * The backward is closed-form: with per-channel sums S1 = sum dy and S2 = sum dy x, every coefficient is a tiny
 * [N, G, C/G] computation and the full-size work is dx = A dy + (B x + C), A per (n, c), B and C per (n, group),
 * instead of the long elementwise chain that autodiff of the primitives would give.
 */
export interface GroupNormOptions {
  readonly groups: number;
  readonly eps?: number;
}

type Emit = (type: string, ins: string[], hint: string, attrs?: Readonly<Record<string, OnnxAttr>>) => string;

function emitter(ctx: EmitContext): Emit {
  return (type, ins, hint, attrs) => {
    const out = ctx.temp(hint);
    ctx.node(type, ins, [out], attrs);
    return out;
  };
}

const KEEP = { keepdims: ai(1) };
const DROP = { keepdims: ai(0) };

/** mean and 1/sqrt(var + eps) per (n, group), written to `meanOut`, `rstdOut`. One ReduceMean + one ReduceSumSquare. */
function emitStats(ctx: EmitContext, x: Value, groups: number, eps: number, meanOut: string, rstdOut: string): void {
  const op = emitter(ctx);
  const [batch, c] = x.shape as [number, number];
  const m = (c / groups) * x.shape.slice(2).reduce((a, b) => a * b, 1);
  const dt = x.dtype;
  const xg = op('Reshape', [x.name, ctx.ints([batch, groups, m])], 'xg');
  ctx.node('ReduceMean', [xg, ctx.ints([2])], [meanOut], KEEP);
  // var = E[x^2] - mean^2: conv outputs feeding a norm are near zero-mean, so the cancellation is harmless here
  const meanSq = op('Mul', [op('ReduceSumSquare', [xg, ctx.ints([2])], 'sumsq', KEEP), ctx.scalar(1 / m, dt)], 'meansq');
  const variance = op('Sub', [meanSq, op('Mul', [meanOut, meanOut], 'mean2')], 'var');
  ctx.node('Reciprocal', [op('Sqrt', [op('Add', [variance, ctx.scalar(eps, dt)], 'vareps')], 'std')], [rstdOut]);
}

/** y = a x + b with a, b [N, C] (names): one BatchNormalization pass at batch 1, else Mul + Add. */
function emitChannelAffine(ctx: EmitContext, x: string, shape: readonly number[], a: string, b: string, y: string, dt: Value['dtype']): void {
  const op = emitter(ctx);
  const [batch, c] = shape as [number, number];
  const ones = shape.slice(2).map(() => 1);
  if (batch === 1 && ctx.lowering.channelAffine === 'batchNorm') {
    const zeros = ctx.tensor(dt, [c], new Array<number>(c).fill(0));
    const unit = ctx.tensor(dt, [c], new Array<number>(c).fill(1));
    ctx.node('BatchNormalization', [x, op('Reshape', [a, ctx.ints([c])], 'a1'), op('Reshape', [b, ctx.ints([c])], 'b1'), zeros, unit], [y], { epsilon: af(0) });
    return;
  }
  const ax = op('Mul', [x, op('Reshape', [a, ctx.ints([batch, c, ...ones])], 'a5')], 'ax');
  ctx.node('Add', [ax, op('Reshape', [b, ctx.ints([batch, c, ...ones])], 'b5')], [y]);
}

export const groupNormOp: OpDef = {
  type: 'groupNorm',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    const gamma = typeAt(inputs, 1);
    const beta = typeAt(inputs, 2);
    const g = attrNum(attrs, 'groups');
    const c = x.shape[1] ?? 0;
    if (x.shape.length < 3 || !isFloat(x.dtype)) throw new Error(`groupNorm needs a float N,C,... input, got ${x.dtype}${shapeString(x.shape)}`);
    if (c % g !== 0) throw new Error(`channels ${c} not divisible by groups ${g}`);
    for (const p of [gamma, beta]) if (p.shape.length !== 1 || p.shape[0] !== c || p.dtype !== x.dtype) throw new Error(`gamma/beta must be ${x.dtype}[${c}], got ${p.dtype}${shapeString(p.shape)}`);
    const stats = { dtype: x.dtype, shape: [x.shape[0] ?? 1, g, 1] };
    return [{ dtype: x.dtype, shape: x.shape }, stats, { ...stats }];
  },
  emit: (ctx, n) => {
    const [x, gamma, beta] = [0, 1, 2].map((i) => inputAt(n.inputs, i, n.name)) as [Value, Value, Value];
    const [y, mean, rstd] = n.outputs as [Value, Value, Value];
    const g = attrNum(n.attrs, 'groups');
    const eps = attrNum(n.attrs, 'eps');
    const [batch, c] = x.shape as [number, number];
    const choice = ctx.lowering.groupNormForward;
    if (choice === 'affine') {
      emitStats(ctx, x, g, eps, mean.name, rstd.name);
      const op = emitter(ctx);
      const gam = op('Reshape', [gamma.name, ctx.ints([1, g, c / g])], 'gam');
      const a3 = op('Mul', [rstd.name, gam], 'a3');
      const a = op('Reshape', [a3, ctx.ints([batch, c])], 'a');
      const b = op('Sub', [beta.name, op('Reshape', [op('Mul', [mean.name, a3], 'ma3'), ctx.ints([batch, c])], 'ma')], 'b');
      emitChannelAffine(ctx, x.name, x.shape, a, b, y.name, x.dtype);
      return;
    }
    if (ctx.isUsed(mean) || ctx.isUsed(rstd)) emitStats(ctx, x, g, eps, mean.name, rstd.name);
    if (g === c) {
      ctx.node('InstanceNormalization', [x.name, gamma.name, beta.name], [y.name], { epsilon: af(eps) });
    } else if (choice === 'groupNormalization') {
      // ORT expands GroupNormalization as a function whose stage one runs in `stash_type` (float32 by default)
      const stash = x.dtype === 'float64' ? { stash_type: ai(11) } : {};
      ctx.node('GroupNormalization', [x.name, gamma.name, beta.name], [y.name], { epsilon: af(eps), num_groups: ai(g), ...stash });
    } else {
      emitGroupNormViaInstanceNorm(ctx, x, gamma, beta, y.name, g, eps);
    }
  },
  grad: (n, [dy]) => {
    if (!dy) return [];
    const [x, gamma] = [inputAt(n.inputs, 0, n.name), inputAt(n.inputs, 1, n.name)];
    const [, mean, rstd] = n.outputs as [Value, Value, Value];
    return x.graph.apply(groupNormGradOp, [dy, x, gamma, mean, rstd], n.attrs, 'norm_grad');
  },
};

function emitGroupNormViaInstanceNorm(ctx: EmitContext, x: Value, gamma: Value, beta: Value, y: string, g: number, eps: number): void {
  const op = emitter(ctx);
  const rest = x.shape.slice(2).map(() => 1);
  const c = x.shape[1] ?? 0;
  const xr = op('Reshape', [x.name, ctx.ints([x.shape[0] ?? 1, g, -1])], 'xr');
  const xn = op('InstanceNormalization', [xr, ctx.tensor(x.dtype, [g], new Array<number>(g).fill(1)), ctx.tensor(x.dtype, [g], new Array<number>(g).fill(0))], 'xn', { epsilon: af(eps) });
  const xb = op('Reshape', [xn, ctx.ints(x.shape)], 'xb');
  const scaled = op('Mul', [xb, op('Reshape', [gamma.name, ctx.ints([c, ...rest])], 'gr')], 'scaled');
  ctx.node('Add', [scaled, op('Reshape', [beta.name, ctx.ints([c, ...rest])], 'br')], [y]);
}

/** Inputs (dy, x, gamma, mean, rstd); outputs (dx, dgamma, dbeta). */
export const groupNormGradOp: OpDef = {
  type: 'groupNormGrad',
  infer: (inputs) => {
    const x = typeAt(inputs, 1);
    const gamma = typeAt(inputs, 2);
    return [{ ...x }, { ...gamma }, { ...gamma }];
  },
  emit: (ctx, n) => emitGroupNormGrad(ctx, n),
};

function emitGroupNormGrad(ctx: EmitContext, n: GraphNode): void {
  const [dy, x, gamma, mean, rstd] = [0, 1, 2, 3, 4].map((i) => inputAt(n.inputs, i, n.name).name) as [string, string, string, string, string];
  const xv = inputAt(n.inputs, 1, n.name);
  const [dx, dgamma, dbeta] = n.outputs.map((v) => v.name) as [string, string, string];
  const g = attrNum(n.attrs, 'groups');
  const dt = xv.dtype;
  const [batch, c] = xv.shape as [number, number];
  const cg = c / g;
  const spatialAxes = xv.shape.slice(2).map((_, i) => i + 2);
  const m = cg * xv.shape.slice(2).reduce((a, b) => a * b, 1);
  const op = emitter(ctx);
  // per-channel sums: S1 = sum dy, S2 = sum dy*x (the only full-size product besides dx itself)
  const s1 = op('ReduceSum', [dy, ctx.ints(spatialAxes)], 's1', DROP);
  const s2 = op('ReduceSum', [op('Mul', [dy, x], 'dyx'), ctx.ints(spatialAxes)], 's2', DROP);
  const s1g = op('Reshape', [s1, ctx.ints([batch, g, cg])], 's1g');
  const s2g = op('Reshape', [s2, ctx.ints([batch, g, cg])], 's2g');
  const gam = op('Reshape', [gamma, ctx.ints([1, g, cg])], 'gam');
  const sumG1 = op('ReduceSum', [op('Mul', [gam, s1g], 'gs1'), ctx.ints([2])], 'sumg1', KEEP);
  const sumG2 = op('ReduceSum', [op('Mul', [gam, s2g], 'gs2'), ctx.ints([2])], 'sumg2', KEEP);
  // sum over the group of (gamma dy) * xhat = rstd (sum gamma S2 - mean sum gamma S1)
  const sumGx = op('Mul', [rstd, op('Sub', [sumG2, op('Mul', [mean, sumG1], 'msg1')], 'diff')], 'sumgx');
  const rstd2 = op('Mul', [rstd, rstd], 'rstd2');
  const bCoef = op('Mul', [op('Mul', [rstd2, sumGx], 'r2sgx'), ctx.scalar(-1 / m, dt)], 'bcoef');
  // c = -b mean - rstd mean_group(gamma dy) = -(b mean + rstd sumG1 / m)
  const rMg = op('Mul', [op('Mul', [rstd, sumG1], 'rsg1'), ctx.scalar(1 / m, dt)], 'rmg');
  const cCoef = op('Neg', [op('Add', [op('Mul', [bCoef, mean], 'bmean'), rMg], 'bmrmg')], 'ccoef');
  const perChannel = (v: string, hint: string): string => op('Reshape', [op('Expand', [v, ctx.ints([batch, g, cg])], `${hint}e`), ctx.ints([batch, c])], hint);
  const bx = ctx.temp('bxc');
  emitChannelAffine(ctx, x, xv.shape, perChannel(bCoef, 'bc'), perChannel(cCoef, 'cc'), bx, dt);
  const aC = op('Reshape', [op('Mul', [rstd, gam], 'a3'), ctx.ints([batch, c, ...xv.shape.slice(2).map(() => 1)])], 'acoef');
  ctx.node('Add', [op('Mul', [aC, dy], 'ady'), bx], [dx]);
  // dgamma = sum_n rstd (S2 - mean S1); dbeta = sum_n S1
  const xhatSum = op('Mul', [rstd, op('Sub', [s2g, op('Mul', [mean, s1g], 'ms1')], 'd2')], 'xhs');
  ctx.node('Reshape', [op('ReduceSum', [xhatSum, ctx.ints([0])], 'dgam', DROP), ctx.ints([c])], [dgamma]);
  ctx.node('ReduceSum', [s1, ctx.ints([0])], [dbeta], DROP);
}

export function groupNorm(x: Value, gamma: Value, beta: Value, opts: GroupNormOptions): Value {
  return one(x.graph.apply(groupNormOp, [x, gamma, beta], { groups: opts.groups, eps: opts.eps ?? 1e-5 }, 'norm'), 'groupNorm');
}

/** InstanceNorm is GroupNorm with one channel per group. */
export function instanceNorm(x: Value, gamma: Value, beta: Value, opts: { eps?: number } = {}): Value {
  return groupNorm(x, gamma, beta, { groups: x.shape[1] ?? 1, eps: opts.eps ?? 1e-5 });
}
