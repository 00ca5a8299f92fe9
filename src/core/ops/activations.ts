import type { GraphNode, Value } from '../graph/graph.js';
import { isFloat } from '../graph/types.js';
import { exp, mul, sub } from './elementwise.js';
import { type EmitContext, type OpDef, af, ai, apply1, attrNum, inputAt, names, normAxes, one, sameType, typeAt } from './op.js';
import { reduceSum } from './reduce.js';

const floatSame: OpDef['infer'] = (inputs) => {
  const x = typeAt(inputs, 0);
  if (!isFloat(x.dtype)) throw new Error(`needs a float input, got ${x.dtype}`);
  return sameType(x);
};

const xy = (n: GraphNode): [Value, Value] => [inputAt(n.inputs, 0, n.name), one(n.outputs, n.name)];

/**
 * Gradient ops of the activations: one IR node each that emits a short fixed ONNX sequence. Their inputs are
 * (dy, saved tensors); they have no gradient themselves (no second order in this engine).
 */
function gradOp(type: string, emit: (ctx: EmitContext, n: GraphNode, t: (hint: string) => string) => void): OpDef {
  return {
    type,
    infer: (inputs) => sameType(typeAt(inputs, 0)),
    emit: (ctx, n) => emit(ctx, n, (h) => ctx.temp(h)),
  };
}

const inName = (n: GraphNode, i: number): string => inputAt(n.inputs, i, n.name).name;
const outName = (n: GraphNode): string => one(n.outputs, n.name).name;
const dt = (n: GraphNode): Value['dtype'] => inputAt(n.inputs, 0, n.name).dtype;

// relu: dx = dy where y > 0 (y saved; 2 passes)
export const reluGradOp = gradOp('reluGrad', (ctx, n, t) => {
  const pos = t('pos');
  ctx.node('Greater', [inName(n, 1), ctx.scalar(0, dt(n))], [pos]);
  ctx.node('Where', [pos, inName(n, 0), ctx.scalar(0, dt(n))], [outName(n)]);
});
export const reluOp: OpDef = {
  type: 'relu',
  infer: floatSame,
  emit: (ctx, n) => ctx.node('Relu', names(n.inputs), names(n.outputs)),
  grad: (n, [dy]) => {
    const [, y] = xy(n);
    return [dy ? apply1(y.graph, reluGradOp, [dy, y]) : undefined];
  },
};
export const relu = (x: Value): Value => apply1(x.graph, reluOp, [x]);

// leaky relu: dx = dy * (x > 0 ? 1 : alpha)
export const leakyReluGradOp = gradOp('leakyReluGrad', (ctx, n, t) => {
  const pos = t('pos');
  const scaled = t('scaled');
  ctx.node('Greater', [inName(n, 1), ctx.scalar(0, dt(n))], [pos]);
  ctx.node('Mul', [inName(n, 0), ctx.scalar(attrNum(n.attrs, 'alpha'), dt(n))], [scaled]);
  ctx.node('Where', [pos, inName(n, 0), scaled], [outName(n)]);
});
export const leakyReluOp: OpDef = {
  type: 'leakyRelu',
  infer: floatSame,
  emit: (ctx, n) => ctx.node('LeakyRelu', names(n.inputs), names(n.outputs), { alpha: af(attrNum(n.attrs, 'alpha')) }),
  grad: (n, [dy]) => {
    const [x] = xy(n);
    return [dy ? apply1(x.graph, leakyReluGradOp, [dy, x], { alpha: attrNum(n.attrs, 'alpha') }) : undefined];
  },
};
export const leakyRelu = (x: Value, alpha = 0.01): Value => apply1(x.graph, leakyReluOp, [x], { alpha });

// sigmoid: dx = dy * y * (1 - y)
export const sigmoidGradOp = gradOp('sigmoidGrad', (ctx, n, t) => {
  const [oneMinus, yy] = [t('1my'), t('yy')];
  ctx.node('Sub', [ctx.scalar(1, dt(n)), inName(n, 1)], [oneMinus]);
  ctx.node('Mul', [inName(n, 1), oneMinus], [yy]);
  ctx.node('Mul', [inName(n, 0), yy], [outName(n)]);
});
export const sigmoidOp: OpDef = {
  type: 'sigmoid',
  infer: floatSame,
  emit: (ctx, n) => ctx.node('Sigmoid', names(n.inputs), names(n.outputs)),
  grad: (n, [dy]) => {
    const [, y] = xy(n);
    return [dy ? apply1(y.graph, sigmoidGradOp, [dy, y]) : undefined];
  },
};
export const sigmoid = (x: Value): Value => apply1(x.graph, sigmoidOp, [x]);

// silu: y = x s(x); dx = dy * (s + y (1 - s)) with s recomputed (cheaper than keeping it alive through the step)
export const siluGradOp = gradOp('siluGrad', (ctx, n, t) => {
  const [s, oneMinus, ys, d] = [t('s'), t('1ms'), t('ys'), t('d')];
  ctx.node('Sigmoid', [inName(n, 1)], [s]);
  ctx.node('Sub', [ctx.scalar(1, dt(n)), s], [oneMinus]);
  ctx.node('Mul', [inName(n, 2), oneMinus], [ys]);
  ctx.node('Add', [s, ys], [d]);
  ctx.node('Mul', [inName(n, 0), d], [outName(n)]);
});
export const siluOp: OpDef = {
  type: 'silu',
  infer: floatSame,
  emit: (ctx, n) => {
    const s = ctx.temp('s');
    ctx.node('Sigmoid', names(n.inputs), [s]);
    ctx.node('Mul', [inName(n, 0), s], names(n.outputs));
  },
  grad: (n, [dy]) => {
    const [x, y] = xy(n);
    return [dy ? apply1(x.graph, siluGradOp, [dy, x, y]) : undefined];
  },
};
export const silu = (x: Value): Value => apply1(x.graph, siluOp, [x]);

// gelu (exact, erf): dx = dy * (Phi(x) + x phi(x))
export const geluGradOp = gradOp('geluGrad', (ctx, n, t) => {
  const d = dt(n);
  const x = inName(n, 1);
  const [xs, erf, cdf0, cdf, x2, e, pdf, xpdf, sum] = ['xs', 'erf', 'cdf0', 'cdf', 'x2', 'e', 'pdf', 'xpdf', 'sum'].map(t) as [string, string, string, string, string, string, string, string, string];
  ctx.node('Mul', [x, ctx.scalar(Math.SQRT1_2, d)], [xs]);
  ctx.node('Erf', [xs], [erf]);
  ctx.node('Add', [erf, ctx.scalar(1, d)], [cdf0]);
  ctx.node('Mul', [cdf0, ctx.scalar(0.5, d)], [cdf]);
  ctx.node('Mul', [xs, xs], [x2]);
  ctx.node('Exp', [x2], [e]);
  ctx.node('Reciprocal', [e], [pdf]); // exp(-x^2/2) as 1/exp(x^2/2)
  ctx.node('Mul', [x, ctx.scalar(1 / Math.sqrt(2 * Math.PI), d)], [xpdf + '0']);
  ctx.node('Mul', [xpdf + '0', pdf], [xpdf]);
  ctx.node('Add', [cdf, xpdf], [sum]);
  ctx.node('Mul', [inName(n, 0), sum], [outName(n)]);
});
export const geluOp: OpDef = {
  type: 'gelu',
  infer: floatSame,
  emit: (ctx, n) => ctx.node('Gelu', names(n.inputs), names(n.outputs)),
  grad: (n, [dy]) => {
    const [x] = xy(n);
    return [dy ? apply1(x.graph, geluGradOp, [dy, x]) : undefined];
  },
};
export const gelu = (x: Value): Value => apply1(x.graph, geluOp, [x]);

// softmax / log-softmax along one axis
function softmaxLike(type: string, onnx: string, grad: (y: Value, dy: Value, axis: number) => Value): OpDef {
  return {
    type,
    infer: floatSame,
    emit: (ctx, n) => ctx.node(onnx, names(n.inputs), names(n.outputs), { axis: ai(attrNum(n.attrs, 'axis')) }),
    grad: (n, [dy]) => {
      const [, y] = xy(n);
      return [dy ? grad(y, dy, attrNum(n.attrs, 'axis')) : undefined];
    },
  };
}
export const softmaxOp = softmaxLike('softmax', 'Softmax', (y, dy, axis) => mul(y, sub(dy, reduceSum(mul(dy, y), [axis], true))));
export const logSoftmaxOp = softmaxLike('logSoftmax', 'LogSoftmax', (y, dy, axis) => sub(dy, mul(exp(y), reduceSum(dy, [axis], true))));
export const softmax = (x: Value, axis: number): Value => apply1(x.graph, softmaxOp, [x], { axis: normAxes([axis], x.shape.length)[0] ?? 0 });
export const logSoftmax = (x: Value, axis: number): Value => apply1(x.graph, logSoftmaxOp, [x], { axis: normAxes([axis], x.shape.length)[0] ?? 0 });
