import type { Value } from '../graph/graph.js';
import { isFloat, shapeString } from '../graph/types.js';
import { mul } from './elementwise.js';
import { type OpDef, ai, ais, as, apply1, attrInts, attrNum, inputAt, one, typeAt } from './op.js';
import { expand, pad, reshape } from './shape.js';

export interface Pool3dOptions {
  readonly kernel: number;
  /** Defaults to the kernel size. */
  readonly stride?: number;
}

function poolShape(x: readonly number[], k: number, s: number): number[] {
  if (x.length !== 5) throw new Error(`pool3d needs a 5-D input, got ${shapeString(x)}`);
  const out = x.map((d, i) => (i < 2 ? d : Math.floor((d - k) / s) + 1));
  if (out.some((d) => d <= 0)) throw new Error(`pool kernel ${k} stride ${s} leaves nothing of ${shapeString(x)}`);
  return out;
}

const poolAttrs = (k: number, s: number): Record<string, ReturnType<typeof ai>> => ({ kernel_shape: ais([k, k, k]), strides: ais([s, s, s]) });

/** Outputs (y, indices); indices are flat positions in x (ONNX MaxPool), so the backward is a scatter-add. */
export const maxPoolOp: OpDef = {
  type: 'maxPool3d',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    if (!isFloat(x.dtype)) throw new Error(`maxPool3d needs floats, got ${x.dtype}`);
    const shape = poolShape(x.shape, attrNum(attrs, 'kernel'), attrNum(attrs, 'stride'));
    return [{ dtype: x.dtype, shape }, { dtype: 'int64', shape }];
  },
  emit: (ctx, n) => ctx.node('MaxPool', [inputAt(n.inputs, 0, n.name).name], n.outputs.map((v) => v.name), poolAttrs(attrNum(n.attrs, 'kernel'), attrNum(n.attrs, 'stride'))),
  grad: (n, [dy]) => {
    if (!dy) return [];
    const x = inputAt(n.inputs, 0, n.name);
    const indices = inputAt(n.outputs, 1, n.name);
    return [apply1(x.graph, maxPoolGradOp, [dy, indices], { inShape: [...x.shape] }, 'pool_dx')];
  },
};

export const maxPoolGradOp: OpDef = {
  type: 'maxPoolGrad',
  infer: (inputs, attrs) => [{ dtype: typeAt(inputs, 0).dtype, shape: attrInts(attrs, 'inShape') }],
  emit: (ctx, n) => {
    const [dy, idx] = [inputAt(n.inputs, 0, n.name), inputAt(n.inputs, 1, n.name)];
    const inShape = attrInts(n.attrs, 'inShape');
    const total = inShape.reduce((a, b) => a * b, 1);
    const [zeros, idxFlat, dyFlat, flat] = ['zeros', 'idx', 'dy', 'flat'].map((h) => ctx.temp(h)) as [string, string, string, string];
    ctx.node('Expand', [ctx.scalar(0, dy.dtype), ctx.ints([total])], [zeros]);
    ctx.node('Reshape', [idx.name, ctx.ints([-1])], [idxFlat]);
    ctx.node('Reshape', [dy.name, ctx.ints([-1])], [dyFlat]);
    ctx.node('ScatterElements', [zeros, idxFlat, dyFlat], [flat], { axis: ai(0), reduction: as('add') });
    ctx.node('Reshape', [flat, ctx.ints(inShape)], [one(n.outputs, n.name).name]);
  },
};

export function maxPool3d(x: Value, opts: Pool3dOptions): Value {
  return one(x.graph.apply(maxPoolOp, [x], { kernel: opts.kernel, stride: opts.stride ?? opts.kernel }, 'maxpool'), 'maxPool3d');
}

/** Non-overlapping average pooling (stride = kernel), whose gradient is a broadcast of dy / k^3. */
export const avgPoolOp: OpDef = {
  type: 'avgPool3d',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    const k = attrNum(attrs, 'kernel');
    if (attrNum(attrs, 'stride') !== k) throw new Error('avgPool3d supports stride = kernel only');
    return [{ dtype: x.dtype, shape: poolShape(x.shape, k, k) }];
  },
  emit: (ctx, n) => ctx.node('AveragePool', [inputAt(n.inputs, 0, n.name).name], [one(n.outputs, n.name).name], poolAttrs(attrNum(n.attrs, 'kernel'), attrNum(n.attrs, 'stride'))),
  grad: (n, [dy]) => {
    if (!dy) return [];
    const x = inputAt(n.inputs, 0, n.name);
    const k = attrNum(n.attrs, 'kernel');
    const [b, c, d, h, w] = dy.shape as [number, number, number, number, number];
    const spread = reshape(expand(reshape(dy, [b, c, d, 1, h, 1, w, 1]), [b, c, d, k, h, k, w, k]), [b, c, d * k, h * k, w * k]);
    const rest = [0, 0, x.shape[2]! - d * k, x.shape[3]! - h * k, x.shape[4]! - w * k];
    return [pad(mul(spread, 1 / (k * k * k)), [0, 0, 0, 0, 0], rest)];
  },
};

export function avgPool3d(x: Value, opts: Pool3dOptions): Value {
  return apply1(x.graph, avgPoolOp, [x], { kernel: opts.kernel, stride: opts.stride ?? opts.kernel }, 'avgpool');
}
