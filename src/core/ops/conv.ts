import type { GraphNode, Value } from '../graph/graph.js';
import { type Shape, type TensorType, isFloat, shapeString } from '../graph/types.js';
import { type EmitContext, type OpDef, ai, ais, apply1, attrInts, attrNum, inputAt, one, typeAt } from './op.js';
import { reduceSum } from './reduce.js';

/**
 * 3-D convolution, NCDHW, weight [Co, Ci/groups, kd, kh, kw], one stride and one symmetric pad for all axes.
 * Gradients: dX and dW are their own ops so their lowering (flipped conv, sub-pixel conv, shifted GEMMs) is chosen
 * at serialisation time from `LoweringChoices`.
 */
export interface Conv3dOptions {
  readonly stride?: number;
  /** One pad for every side, or ONNX-order [d0, h0, w0, d1, h1, w1] (asymmetric: stride 1 or sub-pixel dX only). */
  readonly pad?: number | readonly number[];
  readonly groups?: number;
}

function convOutSize(n: number, k: number, s: number, before: number, after: number): number {
  return Math.floor((n + before + after - k) / s) + 1;
}

/** Pads in ONNX order [d0, h0, w0, d1, h1, w1] from the `pads` attribute. */
function padsOf(attrs: GraphNode['attrs']): [number, number, number, number, number, number] {
  const p = attrInts(attrs, 'pads');
  if (p.length !== 6 || p.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`pads must be 6 non-negative integers, got ${shapeString(p)}`);
  return p as [number, number, number, number, number, number];
}
const before = (pads: readonly number[], axis: number): number => pads[axis] ?? 0;
const after = (pads: readonly number[], axis: number): number => pads[axis + 3] ?? 0;

function convInfer(inputs: readonly TensorType[], attrs: GraphNode['attrs']): TensorType[] {
  const x = typeAt(inputs, 0);
  const w = typeAt(inputs, 1);
  const s = attrNum(attrs, 'stride');
  const pads = padsOf(attrs);
  const g = attrNum(attrs, 'groups');
  if (x.shape.length !== 5 || w.shape.length !== 5) throw new Error(`conv3d needs 5-D input and weight, got ${shapeString(x.shape)} and ${shapeString(w.shape)}`);
  if (!isFloat(x.dtype) || x.dtype !== w.dtype) throw new Error(`conv3d dtypes ${x.dtype}/${w.dtype}`);
  const [n, ci] = x.shape as [number, number];
  const [co, cig] = w.shape as [number, number];
  if (ci % g !== 0 || co % g !== 0 || cig * g !== ci) throw new Error(`input channels ${ci} do not match weight ${shapeString(w.shape)} with groups ${g}`);
  const b = inputs[2];
  if (b && (b.shape.length !== 1 || b.shape[0] !== co)) throw new Error(`bias ${shapeString(b.shape)} must be [${co}]`);
  const spatial = [0, 1, 2].map((a) => convOutSize(x.shape[a + 2] ?? 0, w.shape[a + 2] ?? 0, s, before(pads, a), after(pads, a)));
  if (spatial.some((d) => d <= 0)) throw new Error(`output would be empty (input ${shapeString(x.shape)}, kernel ${shapeString(w.shape)}, stride ${s}, pads ${shapeString(pads)})`);
  return [{ dtype: x.dtype, shape: [n, co, ...spatial] }];
}

const convAttrs = (n: GraphNode, kernel: readonly number[]): Record<string, ReturnType<typeof ai>> => {
  const s = attrNum(n.attrs, 'stride');
  return { kernel_shape: ais(kernel), strides: ais([s, s, s]), pads: ais(padsOf(n.attrs)), group: ai(attrNum(n.attrs, 'groups')), dilations: ais([1, 1, 1]) };
};

export const conv3dOp: OpDef = {
  type: 'conv3d',
  infer: convInfer,
  emit: (ctx, n) => ctx.node('Conv', n.inputs.map((v) => v.name), [one(n.outputs, n.name).name], convAttrs(n, inputAt(n.inputs, 1, n.name).shape.slice(2))),
  grad: (n, [dy]) => {
    if (!dy) return [];
    const x = inputAt(n.inputs, 0, n.name);
    const w = inputAt(n.inputs, 1, n.name);
    const g = x.graph;
    const common = { stride: attrNum(n.attrs, 'stride'), pads: [...padsOf(n.attrs)], groups: attrNum(n.attrs, 'groups') };
    const dx = apply1(g, convInputGradOp, [dy, w], { ...common, inShape: [...x.shape] }, 'conv_dx');
    const dw = apply1(g, convWeightGradOp, [x, dy], { ...common, kernel: w.shape.slice(2) }, 'conv_dw');
    return n.inputs.length > 2 ? [dx, dw, reduceSum(dy, [0, 2, 3, 4])] : [dx, dw];
  },
};

function padList(pad: Conv3dOptions['pad']): number[] {
  if (pad === undefined) return [0, 0, 0, 0, 0, 0];
  if (typeof pad === 'number') return [pad, pad, pad, pad, pad, pad];
  return [...pad];
}

export function conv3d(x: Value, w: Value, bias: Value | undefined, opts: Conv3dOptions = {}): Value {
  const attrs = { stride: opts.stride ?? 1, pads: padList(opts.pad), groups: opts.groups ?? 1 };
  return apply1(x.graph, conv3dOp, bias ? [x, w, bias] : [x, w], attrs, 'conv');
}

// ---- dX ----

export const convInputGradOp: OpDef = {
  type: 'convInputGrad',
  infer: (inputs, attrs) => [{ dtype: typeAt(inputs, 0).dtype, shape: attrInts(attrs, 'inShape') }],
  emit: (ctx, n) => {
    const s = attrNum(n.attrs, 'stride');
    const choice = s === 1 ? ctx.lowering.convInputGradStride1 : ctx.lowering.convInputGradStride2;
    const dy = inputAt(n.inputs, 0, n.name);
    const w = inputAt(n.inputs, 1, n.name);
    const pads = padsOf(n.attrs);
    const k = w.shape.slice(2);
    if (choice === 'flippedConv' && s === 1 && k.every((kk, a) => kk - 1 - before(pads, a) >= 0 && kk - 1 - after(pads, a) >= 0)) return emitFlippedConv(ctx, n, dy, w);
    if (choice === 'subpixel' && s > 1 && attrNum(n.attrs, 'groups') === 1) return emitSubpixel(ctx, n, dy, w);
    return emitConvTranspose(ctx, n, dy, w);
  },
};

function emitConvTranspose(ctx: EmitContext, n: GraphNode, dy: Value, w: Value): void {
  const s = attrNum(n.attrs, 'stride');
  const pads = padsOf(n.attrs);
  const inShape = attrInts(n.attrs, 'inShape');
  const k = w.shape.slice(2);
  const outPad = [0, 1, 2].map((i) => ((inShape[i + 2] ?? 0) + before(pads, i) + after(pads, i) - (k[i] ?? 0)) % s);
  ctx.node('ConvTranspose', [dy.name, w.name], [one(n.outputs, n.name).name], {
    kernel_shape: ais(k), strides: ais([s, s, s]), pads: ais(pads), output_padding: ais(outPad), group: ai(attrNum(n.attrs, 'groups')),
  });
}

/** Weight [Co, Ci/g, k] as the weight of the transposed conv: [Ci, Co/g, k], spatially flipped. */
function flippedWeight(ctx: EmitContext, w: Value, groups: number): string {
  const [co, cig, ...k] = w.shape as [number, number, number, number, number];
  const swapped = ctx.temp('wswap');
  if (groups === 1) {
    ctx.node('Transpose', [w.name], [swapped], { perm: ais([1, 0, 2, 3, 4]) });
  } else {
    const grouped = ctx.temp('wg');
    const groupedT = ctx.temp('wgt');
    ctx.node('Reshape', [w.name, ctx.ints([groups, co / groups, cig, ...k])], [grouped]);
    ctx.node('Transpose', [grouped], [groupedT], { perm: ais([0, 2, 1, 3, 4, 5]) });
    ctx.node('Reshape', [groupedT, ctx.ints([cig * groups, co / groups, ...k])], [swapped]);
  }
  const flipped = ctx.temp('wflip');
  ctx.node('Slice', [swapped, ctx.ints([-1, -1, -1]), ctx.ints([-(2 ** 62), -(2 ** 62), -(2 ** 62)]), ctx.ints([2, 3, 4]), ctx.ints([-1, -1, -1])], [flipped]);
  return flipped;
}

function emitFlippedConv(ctx: EmitContext, n: GraphNode, dy: Value, w: Value): void {
  const pads = padsOf(n.attrs);
  const g = attrNum(n.attrs, 'groups');
  const k = w.shape.slice(2);
  const flippedPads = [...k.map((kk, a) => kk - 1 - before(pads, a)), ...k.map((kk, a) => kk - 1 - after(pads, a))];
  ctx.node('Conv', [dy.name, flippedWeight(ctx, w, g)], [one(n.outputs, n.name).name], {
    kernel_shape: ais(k), strides: ais([1, 1, 1]), pads: ais(flippedPads), group: ai(g), dilations: ais([1, 1, 1]),
  });
}

/** Per axis: which kernel taps feed output parity q at input offset t = j + tMin (dx[s m + q] = sum dy[m + t] w[k]). */
export interface SubpixelAxis {
  readonly tMin: number;
  readonly length: number;
  /** select[q][j] = kernel tap index or -1 */
  readonly select: readonly (readonly number[])[];
}

export function subpixelAxis(k: number, s: number, p: number): SubpixelAxis {
  const taps: { q: number; t: number; k: number }[] = [];
  for (let q = 0; q < s; q++) {
    for (let kk = 0; kk < k; kk++) {
      const d = q + p - kk;
      if (((d % s) + s) % s === 0) taps.push({ q, t: d / s, k: kk });
    }
  }
  const ts = taps.map((t) => t.t);
  const tMin = Math.min(0, ...ts);
  const length = Math.max(0, ...ts) - tMin + 1;
  const select = Array.from({ length: s }, () => new Array<number>(length).fill(-1));
  for (const t of taps) {
    const row = select[t.q];
    if (row) row[t.t - tMin] = t.k;
  }
  return { tMin, length, select };
}

/**
 * dX of a strided conv without ConvTranspose: the s^3 output parities are s^3 small stride-1 convs of dY; they run
 * as ONE conv whose output channels are (parity, Ci), followed by a pixel shuffle (Reshape/Transpose/Reshape).
 * The combined weight is a MatMul of W with a constant 0/1 selection matrix (tiny).
 */
function emitSubpixel(ctx: EmitContext, n: GraphNode, dy: Value, w: Value): void {
  const s = attrNum(n.attrs, 'stride');
  const pads = padsOf(n.attrs);
  const inShape = attrInts(n.attrs, 'inShape');
  const [co, ci, ...k] = w.shape as [number, number, number, number, number];
  // only the leading pads place the taps; the trailing ones only decide dY's length, already known
  const axes = k.map((kk, a) => subpixelAxis(kk, s, before(pads, a)));
  const [a0, a1, a2] = axes as [SubpixelAxis, SubpixelAxis, SubpixelAxis];
  const kTaps = k[0]! * k[1]! * k[2]!;
  const L = [a0.length, a1.length, a2.length];
  const outCols = s * s * s * L[0]! * L[1]! * L[2]!;
  const sel = new Array<number>(kTaps * outCols).fill(0);
  for (let q0 = 0; q0 < s; q0++) for (let q1 = 0; q1 < s; q1++) for (let q2 = 0; q2 < s; q2++) {
    for (let j0 = 0; j0 < L[0]!; j0++) for (let j1 = 0; j1 < L[1]!; j1++) for (let j2 = 0; j2 < L[2]!; j2++) {
      const k0 = a0.select[q0]![j0]!;
      const k1 = a1.select[q1]![j1]!;
      const k2 = a2.select[q2]![j2]!;
      if (k0 < 0 || k1 < 0 || k2 < 0) continue;
      const row = (k0 * k[1]! + k1) * k[2]! + k2;
      const col = (((q0 * s + q1) * s + q2) * L[0]! + j0) * L[1]! * L[2]! + j1 * L[2]! + j2;
      sel[row * outCols + col] = 1;
    }
  }
  const [wFlat, wSel, wSplit, wT, wc] = ['wflat', 'wsel', 'wsplit', 'wt', 'wc'].map((h) => ctx.temp(h)) as [string, string, string, string, string];
  ctx.node('Reshape', [w.name, ctx.ints([co * ci, kTaps])], [wFlat]);
  ctx.node('MatMul', [wFlat, ctx.tensor(w.dtype, [kTaps, outCols], sel)], [wSel]);
  ctx.node('Reshape', [wSel, ctx.ints([co, ci, s * s * s, L[0]! * L[1]! * L[2]!])], [wSplit]);
  ctx.node('Transpose', [wSplit], [wT], { perm: ais([2, 1, 0, 3]) });
  ctx.node('Reshape', [wT, ctx.ints([s * s * s * ci, co, ...L])], [wc]);
  const nOut = dy.shape.slice(2);
  const M = [0, 1, 2].map((i) => Math.ceil((inShape[i + 2] ?? 0) / s));
  const padB = axes.map((a) => -a.tMin);
  const padE = [0, 1, 2].map((i) => M[i]! - nOut[i]! - padB[i]! + L[i]! - 1);
  if (padE.some((e) => e < 0)) throw new Error(`subpixel lowering: negative end pad for ${n.name}`);
  const [y8, y8r, y8t, yFull] = ['y8', 'y8r', 'y8t', 'yfull'].map((h) => ctx.temp(h)) as [string, string, string, string];
  ctx.node('Conv', [dy.name, wc], [y8], { kernel_shape: ais(L), strides: ais([1, 1, 1]), pads: ais([...padB, ...padE]), group: ai(1), dilations: ais([1, 1, 1]) });
  const batch = dy.shape[0] ?? 1;
  ctx.node('Reshape', [y8, ctx.ints([batch, s, s, s, ci, ...M])], [y8r]);
  ctx.node('Transpose', [y8r], [y8t], { perm: ais([0, 4, 5, 1, 6, 2, 7, 3]) });
  const full = M.map((m) => m * s);
  const out = one(n.outputs, n.name).name;
  const needsSlice = full.some((f, i) => f !== inShape[i + 2]);
  ctx.node('Reshape', [y8t, ctx.ints([batch, ci, ...full])], [needsSlice ? yFull : out]);
  if (needsSlice) ctx.node('Slice', [yFull, ctx.ints([0, 0, 0]), ctx.ints(inShape.slice(2)), ctx.ints([2, 3, 4])], [out]);
}

// ---- dW ----

export const convWeightGradOp: OpDef = {
  type: 'convWeightGrad',
  infer: (inputs, attrs) => {
    const x = typeAt(inputs, 0);
    const dy = typeAt(inputs, 1);
    const g = attrNum(attrs, 'groups');
    return [{ dtype: x.dtype, shape: [dy.shape[1] ?? 0, (x.shape[1] ?? 0) / g, ...attrInts(attrs, 'kernel')] }];
  },
  emit: (ctx, n) => {
    const x = inputAt(n.inputs, 0, n.name);
    const batch = x.shape[0] ?? 1;
    const groups = attrNum(n.attrs, 'groups');
    const choice = ctx.lowering.convWeightGradBatch1;
    // 1x1x1, stride 1, no pad: dW = dY [Co, n] x X [Ci, n]^T is ONE Gemm on the tensors as they are (no copies)
    if (batch === 1 && groups === 1 && isPointwise(n)) return emitPointwise(ctx, n);
    // grouped convs: only the per-tap GEMM form handles groups (as a batched MatMul over groups)
    if (batch === 1 && (choice === 'shiftedGemm' || groups > 1)) return emitShiftedGemm(ctx, n);
    if (batch === 1 && choice === 'splitGemm') return emitSplitGemm(ctx, n);
    if (batch === 1 && choice === 'flatIm2col' && attrNum(n.attrs, 'stride') === 1) return emitFlatIm2col(ctx, n);
    if (batch === 1 && choice === 'bySize') return flatIm2colPays(n) ? emitFlatIm2col(ctx, n) : emitSplitGemm(ctx, n);
    if (batch === 1 && choice === 'flatIm2col') return emitSplitGemm(ctx, n);
    if (groups !== 1) throw new Error(`${n.name}: the weight gradient of a grouped conv needs batch 1, got batch ${batch}`);
    return emitDilatedConv(ctx, n);
  },
};

function isPointwise(n: GraphNode): boolean {
  return attrInts(n.attrs, 'kernel').every((k) => k === 1) && attrNum(n.attrs, 'stride') === 1 && padsOf(n.attrs).every((p) => p === 0);
}

/** The operands and attributes every weight-gradient emission reads: X, dY and the forward conv's settings. */
function weightGradParts(n: GraphNode) {
  const x = inputAt(n.inputs, 0, n.name);
  const dy = inputAt(n.inputs, 1, n.name);
  return {
    x, dy, stride: attrNum(n.attrs, 'stride'), pads: padsOf(n.attrs), groups: attrNum(n.attrs, 'groups'),
    kernel: attrInts(n.attrs, 'kernel'), ci: x.shape[1] ?? 0, co: dy.shape[1] ?? 0,
  };
}

function emitPointwise(ctx: EmitContext, n: GraphNode): void {
  const x = inputAt(n.inputs, 0, n.name);
  const dy = inputAt(n.inputs, 1, n.name);
  const cols = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const [x2, dy2, dw2] = [ctx.temp('x2'), ctx.temp('dy2'), ctx.temp('dw2')];
  ctx.node('Reshape', [x.name, ctx.ints([x.shape[1] ?? 0, cols])], [x2]);
  ctx.node('Reshape', [dy.name, ctx.ints([dy.shape[1] ?? 0, cols])], [dy2]);
  ctx.node('Gemm', [dy2, x2], [dw2], { transB: ai(1) });
  const out = one(n.outputs, n.name);
  ctx.node('Reshape', [dw2, ctx.ints(out.shape)], [out.name]);
}

function emitShiftedGemm(ctx: EmitContext, n: GraphNode): void {
  const { x, dy, stride: s, pads, groups: g, kernel: k, ci, co } = weightGradParts(n);
  const nOut = dy.shape.slice(2);
  const cols = nOut.reduce((a, b) => a * b, 1);
  let xp = x.name;
  if (pads.some((v) => v > 0)) {
    xp = ctx.temp('xpad');
    ctx.node('Pad', [x.name, ctx.ints([0, 0, pads[0], pads[1], pads[2], 0, 0, pads[3], pads[4], pads[5]])], [xp]);
  }
  const dy2 = ctx.temp('dy2');
  ctx.node('Reshape', [dy.name, ctx.ints(g === 1 ? [co, cols] : [g, co / g, cols])], [dy2]);
  const parts: string[] = [];
  for (let a = 0; a < (k[0] ?? 1); a++) for (let b = 0; b < (k[1] ?? 1); b++) for (let c = 0; c < (k[2] ?? 1); c++) {
    const starts = [a, b, c];
    const ends = starts.map((st, i) => st + s * ((nOut[i] ?? 1) - 1) + 1);
    const full = starts.every((st, i) => st === 0 && ends[i] === (x.shape[i + 2] ?? 0) + before(pads, i) + after(pads, i)) && s === 1;
    let xs = xp;
    if (!full) {
      xs = ctx.temp(`xs${a}${b}${c}`);
      ctx.node('Slice', [xp, ctx.ints(starts), ctx.ints(ends), ctx.ints([2, 3, 4]), ctx.ints([s, s, s])], [xs]);
    }
    const xm = ctx.temp(`xm${a}${b}${c}`);
    const part = ctx.temp(`dw${a}${b}${c}`);
    const part3 = ctx.temp(`dw3${a}${b}${c}`);
    if (g === 1) {
      ctx.node('Reshape', [xs, ctx.ints([ci, cols])], [xm]);
      ctx.node('Gemm', [dy2, xm], [part], { transB: ai(1) });
    } else {
      const xmT = ctx.temp(`xmt${a}${b}${c}`);
      ctx.node('Reshape', [xs, ctx.ints([g, ci / g, cols])], [xm]);
      ctx.node('Transpose', [xm], [xmT], { perm: ais([0, 2, 1]) });
      ctx.node('MatMul', [dy2, xmT], [part]);
    }
    ctx.node('Reshape', [part, ctx.ints([co, ci / g, 1])], [part3]);
    parts.push(part3);
  }
  const out = one(n.outputs, n.name);
  if (parts.length === 1) {
    ctx.node('Reshape', [parts[0]!, ctx.ints(out.shape)], [out.name]);
    return;
  }
  const cat = ctx.temp('dwcat');
  ctx.node('Concat', parts, [cat], { axis: ai(2) });
  ctx.node('Reshape', [cat, ctx.ints(out.shape)], [out.name]);
}

/** Chunks the voxel reduction is split into: the largest of 4, 2, 1 that divides the output depth. */
function reductionChunks(depth: number): number {
  return depth % 4 === 0 ? 4 : depth % 2 === 0 ? 2 : 1;
}

function emitSplitGemm(ctx: EmitContext, n: GraphNode): void {
  const { x, dy, stride: s, pads, kernel: k, ci, co } = weightGradParts(n);
  const nOut = dy.shape.slice(2) as [number, number, number];
  const cols = nOut[0] * nOut[1] * nOut[2];
  const chunks = reductionChunks(nOut[0]);
  const t = (h: string): string => ctx.temp(h);
  const xcl = t('xcl');
  ctx.node('Transpose', [x.name], [xcl], { perm: ais([0, 2, 3, 4, 1]) });
  let xp = xcl;
  if (pads.some((v) => v > 0)) {
    xp = t('xclpad');
    ctx.node('Pad', [xcl, ctx.ints([0, pads[0], pads[1], pads[2], 0, 0, pads[3], pads[4], pads[5], 0])], [xp]);
  }
  const dyr = t('dyr');
  const dyT = t('dyT');
  ctx.node('Reshape', [dy.name, ctx.ints([co, chunks, cols / chunks])], [dyr]);
  ctx.node('Transpose', [dyr], [dyT], { perm: ais([1, 0, 2]) });
  const parts: string[] = [];
  for (let a = 0; a < (k[0] ?? 1); a++) for (let b = 0; b < (k[1] ?? 1); b++) for (let c = 0; c < (k[2] ?? 1); c++) {
    const starts = [a, b, c];
    const ends = starts.map((st, i) => st + s * (nOut[i]! - 1) + 1);
    const [xs, xm, part, part4] = [t('xs'), t('xm'), t('dw'), t('dw4')];
    ctx.node('Slice', [xp, ctx.ints(starts), ctx.ints(ends), ctx.ints([1, 2, 3]), ctx.ints([s, s, s])], [xs]);
    ctx.node('Reshape', [xs, ctx.ints([chunks, cols / chunks, ci])], [xm]);
    ctx.node('MatMul', [dyT, xm], [part]);
    ctx.node('Reshape', [part, ctx.ints([chunks, co, ci, 1])], [part4]);
    parts.push(part4);
  }
  const cat = t('dwcat');
  if (parts.length > 1) ctx.node('Concat', parts, [cat], { axis: ai(3) });
  const summed = t('dwsum');
  ctx.node('ReduceSum', [parts.length > 1 ? cat : parts[0]!, ctx.ints([0])], [summed], { keepdims: ai(0) });
  const out = one(n.outputs, n.name);
  ctx.node('Reshape', [summed, ctx.ints(out.shape)], [out.name]);
}

/**
 * Where 'bySize' takes flatIm2col (measured, 1 thread, arena off, see lowering.ts): stride 1, at least 2^18 output
 * voxels (64^3), both channel counts >= 8 and unequal (the shifted operand then has half the channels: 64^3 32->16
 * 110 vs 231 ms). Equal counts gain only ~15% (64^3 16->16: 83 vs 102) for ~1,700 more ONNX nodes and more memory;
 * below 64^3 splitGemm's working set stays in cache and it wins (32^3 32->32: 19 vs 40 ms); with one input
 * channel the column GEMM is too thin (64^3 1->16: 21 vs 34 ms).
 */
function flatIm2colPays(n: GraphNode): boolean {
  const x = inputAt(n.inputs, 0, n.name);
  const dy = inputAt(n.inputs, 1, n.name);
  const voxels = dy.shape.slice(2).reduce((a, b) => a * b, 1);
  const [ci, co] = [x.shape[1] ?? 0, dy.shape[1] ?? 0];
  return attrNum(n.attrs, 'stride') === 1 && voxels >= 2 ** 18 && Math.min(ci, co) >= 8 && ci !== co;
}

/** Floats one im2col chunk may hold (chunks run one after another, so this bounds the extra memory). */
const IM2COL_CHUNK_FLOATS = 2 * 1024 * 1024;

/**
 * dW of a stride-1 conv at batch 1 as a few large GEMMs. X is padded once and flattened to [Ci, Lp]; dY is embedded
 * in the same padded grid ([Co, Do, Hp, Wp], zeros where the grid has no output voxel) and flattened. Output voxel
 * o (flat index in the padded grid) reads tap t at o + off(t), so every tap's window is a CONTIGUOUS range of each
 * row. The operand with FEWER channels is the one shifted: dW[co, ci, t] = sum_o dY[co, o] X[ci, o + off(t)]
 * = sum_p dY[co, p - off(t)] X[ci, p]. Per chunk of the flat axis its k^3 windows are stacked into a column matrix
 * [C k^3, len] and ONE Gemm against the other operand gives [C k^3, C'] (M = C k^3 rows share each packed panel,
 * instead of M = Co per tap); the chunks accumulate through Gemm's C input.
 */
function emitFlatIm2col(ctx: EmitContext, n: GraphNode): void {
  const { x, dy, pads, ci, co, ...parts } = weightGradParts(n);
  const k = parts.kernel as [number, number, number];
  const [dO, hO, wO] = dy.shape.slice(2) as [number, number, number];
  const [dP, hP, wP] = [0, 1, 2].map((i) => (x.shape[i + 2] ?? 0) + before(pads, i) + after(pads, i)) as [number, number, number];
  const lp = dP * hP * wP;
  const taps = k[0] * k[1] * k[2];
  const offsets: number[] = [];
  for (let u = 0; u < k[0]; u++) for (let v = 0; v < k[1]; v++) for (let w = 0; w < k[2]; w++) offsets.push((u * hP + v) * wP + w);
  const maxOff = offsets[offsets.length - 1] ?? 0;
  const t = (h: string): string => ctx.temp(h);
  let xp = x.name;
  if (pads.some((v) => v > 0)) {
    xp = t('xpad');
    ctx.node('Pad', [x.name, ctx.ints([0, 0, pads[0], pads[1], pads[2], 0, 0, pads[3], pads[4], pads[5]])], [xp]);
  }
  // dY on the padded grid: only h and w need filling (rows d >= dO are never reached)
  let dyg = dy.name;
  if (hP !== hO || wP !== wO) {
    dyg = t('dygrid');
    ctx.node('Pad', [dy.name, ctx.ints([0, 0, 0, 0, 0, 0, 0, 0, hP - hO, wP - wO])], [dyg]);
  }
  const shiftX = ci <= co;
  // the shifted operand as [C, 1, L] (windows concatenate on axis 1), the other as [C', L]
  const [sf, pf] = [t('shifted'), t('plain')];
  let range: number;
  let windowStart: (a: number, off: number) => number;
  if (shiftX) {
    ctx.node('Reshape', [xp, ctx.ints([ci, 1, lp])], [sf]);
    ctx.node('Reshape', [dyg, ctx.ints([co, dO * hP * wP])], [pf]);
    range = (dO - 1) * hP * wP + (hO - 1) * wP + wO; // output voxels up to the last valid one
    windowStart = (a, off) => a + off;
  } else {
    const [dyf, dye] = [t('dyflat'), t('dyext')];
    ctx.node('Reshape', [dyg, ctx.ints([co, 1, dO * hP * wP])], [dyf]);
    // zeros in front (maxOff) and behind, so every window over X's whole flat range exists
    ctx.node('Pad', [dyf, ctx.ints([0, 0, maxOff, 0, 0, lp - dO * hP * wP])], [dye]);
    ctx.node('Reshape', [xp, ctx.ints([ci, lp])], [pf]);
    ctx.node('Identity', [dye], [sf]);
    range = lp;
    windowStart = (a, off) => a - off + maxOff;
  }
  const cs = shiftX ? ci : co;
  const chunkLen = Math.max(1024, Math.floor(IM2COL_CHUNK_FLOATS / (cs * taps)));
  const chunks = Math.ceil(range / chunkLen);
  const step = Math.ceil(range / chunks);
  const cols: { col: string; other: string }[] = [];
  for (let j = 0; j < chunks; j++) {
    const a = j * step;
    const b = Math.min(range, a + step);
    // One Slice takes the chunk's span; its windows then have the same starts/ends in every chunk of equal length,
    // so they share constants (unique constants per window made session creation 10x slower).
    const spanStart = Math.min(...offsets.map((off) => windowStart(a, off)));
    const spanEnd = Math.max(...offsets.map((off) => windowStart(b, off)));
    const span = t('span');
    ctx.node('Slice', [sf, ctx.ints([spanStart]), ctx.ints([spanEnd]), ctx.ints([2])], [span]);
    const windows = offsets.map((off) => {
      const win = t('win');
      const w0 = windowStart(a, off) - spanStart;
      ctx.node('Slice', [span, ctx.ints([w0]), ctx.ints([w0 + b - a]), ctx.ints([2])], [win]);
      return win;
    });
    const [col, col2, other] = [t('col'), t('col2'), t('other')];
    ctx.node('Concat', windows, [col], { axis: ai(1) });
    ctx.node('Reshape', [col, ctx.ints([cs * taps, b - a])], [col2]);
    ctx.node('Slice', [pf, ctx.ints([a]), ctx.ints([b]), ctx.ints([1])], [other]);
    cols.push({ col: col2, other });
  }
  // Emitted after all windows on purpose: onnxruntime orders nodes by a reverse DFS from the outputs, which then
  // runs each chunk's windows right before its Gemm (emitted the other way, every chunk's columns were live at once).
  let acc: string | undefined;
  for (const { col, other } of cols) {
    const part = t('dwpart');
    ctx.node('Gemm', acc ? [col, other, acc] : [col, other], [part], { transB: ai(1) });
    acc = part;
  }
  const out = one(n.outputs, n.name);
  const dwT = t('dwT');
  if (shiftX) {
    ctx.node('Transpose', [acc!], [dwT], { perm: ais([1, 0]) }); // [Ci k^3, Co] -> [Co, Ci k^3]
  } else {
    const r = t('dw3');
    ctx.node('Reshape', [acc!, ctx.ints([co, taps, ci])], [r]); // rows (co, tap)
    ctx.node('Transpose', [r], [dwT], { perm: ais([0, 2, 1]) });
  }
  ctx.node('Reshape', [dwT, ctx.ints(out.shape)], [out.name]);
}

function emitDilatedConv(ctx: EmitContext, n: GraphNode): void {
  const { x, dy, stride: s, pads, kernel: k } = weightGradParts(n);
  const swap = (v: Value, hint: string): string => {
    const t = ctx.temp(hint);
    // At batch 1 swapping axes 0 and 1 keeps memory order: a Reshape, not a copy.
    if ((v.shape[0] ?? 1) === 1) ctx.node('Reshape', [v.name, ctx.ints([v.shape[1] ?? 0, 1, ...v.shape.slice(2)])], [t]);
    else ctx.node('Transpose', [v.name], [t], { perm: ais([1, 0, 2, 3, 4]) });
    return t;
  };
  const xT = swap(x, 'xT');
  const dyT = swap(dy, 'dyT');
  const kFull = [0, 1, 2].map((i) => (x.shape[i + 2] ?? 0) + before(pads, i) + after(pads, i) - s * ((dy.shape[i + 2] ?? 1) - 1));
  const raw = ctx.temp('dwraw');
  ctx.node('Conv', [xT, dyT], [raw], { kernel_shape: ais(dy.shape.slice(2)), strides: ais([1, 1, 1]), pads: ais(pads), dilations: ais([s, s, s]), group: ai(1) });
  let cut = raw;
  if (kFull.some((kk, i) => kk !== k[i])) {
    cut = ctx.temp('dwcut');
    ctx.node('Slice', [raw, ctx.ints([0, 0, 0]), ctx.ints(k), ctx.ints([2, 3, 4])], [cut]);
  }
  ctx.node('Transpose', [cut], [one(n.outputs, n.name).name], { perm: ais([1, 0, 2, 3, 4]) });
}

export function conv3dOutShape(x: Shape, w: Shape, opts: Conv3dOptions = {}): number[] {
  return one(convInfer([{ dtype: 'float32', shape: x }, { dtype: 'float32', shape: w }], { stride: opts.stride ?? 1, pads: padList(opts.pad), groups: opts.groups ?? 1 }), 'conv3d').shape as number[];
}
