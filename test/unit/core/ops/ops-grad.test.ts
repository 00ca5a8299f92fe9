// Every op's gradient against central finite differences through onnxruntime-node.
// float64 where the CPU EP registers every emitted kernel for double (threshold 1e-6 relative, step 1e-6);
// otherwise float32 (threshold 1e-3 relative, step 1e-2, observed <= 1.1e-4; Conv, InstanceNormalization, MaxPool have no double kernel).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Value } from '../../../../src/core/graph/index.js';
import * as op from '../../../../src/core/ops/index.js';
import { apeLoss } from '../../../../src/core/coords/ape-loss.js';
import { infoNce, l2Normalize } from '../../../../src/core/pretrain/info-nce.js';
import { type GradCheckCase, gradCheck } from './gradcheck.js';

const F64_TOL = 1e-6;
const F32_TOL = 1e-3;

async function check(name: string, c: Omit<GradCheckCase, 'dtype'>, report: (msg: string) => void = () => {}): Promise<void> {
  let dtype: 'float64' | 'float32' = 'float64';
  let result;
  try {
    result = await gradCheck({ ...c, dtype });
  } catch (err) {
    if (!(err instanceof Error) || !/Could not find an implementation/.test(err.message)) throw err;
    dtype = 'float32';
    result = await gradCheck({ ...c, dtype });
  }
  const tol = dtype === 'float64' ? F64_TOL : F32_TOL;
  report(`${dtype}: relative error ${result.relError.toExponential(2)} (threshold ${tol})`);
  assert.ok(result.relError < tol, `${name} (${dtype}): relative error ${result.relError} >= ${tol}: ${JSON.stringify(result.perInput)}`);
}

const pos = (n: number, lo = 0.5): number[] => Array.from({ length: n }, (_, i) => lo + ((i * 37) % 17) / 10);
const x5 = (c: number, s: number): number[] => [1, c, s, s, s];

const cases: [string, Omit<GradCheckCase, 'dtype'>][] = [
  ['add broadcast', { inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [3, 1] }], build: ([a, b]) => op.add(a!, b!) }],
  ['sub broadcast', { inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [2, 1] }], build: ([a, b]) => op.sub(a!, b!) }],
  ['mul broadcast', { inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [4] }], build: ([a, b]) => op.mul(a!, b!) }],
  ['div broadcast', { inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [1, 3], data: pos(3) }], build: ([a, b]) => op.div(a!, b!) }],
  ['pow', { inputs: [{ name: 'a', shape: [5], data: pos(5) }], build: ([a]) => op.pow(a!, 2.5) }],
  ['exp log sqrt', { inputs: [{ name: 'a', shape: [6], data: pos(6) }], build: ([a]) => op.add(op.exp(a!), op.mul(op.log(a!), op.sqrt(a!))) }],
  ['tanh abs neg', { inputs: [{ name: 'a', shape: [7] }], build: ([a]) => op.neg(op.add(op.tanh(a!), op.abs(a!))) }],
  ['relu', { inputs: [{ name: 'a', shape: [3, 4] }], build: ([a]) => op.relu(a!) }],
  ['leakyRelu', { inputs: [{ name: 'a', shape: [3, 4] }], build: ([a]) => op.leakyRelu(a!, 0.1) }],
  ['sigmoid', { inputs: [{ name: 'a', shape: [3, 4] }], build: ([a]) => op.sigmoid(a!) }],
  ['silu', { inputs: [{ name: 'a', shape: [3, 4] }], build: ([a]) => op.silu(op.mul(a!, 3)) }],
  ['gelu', { inputs: [{ name: 'a', shape: [3, 4] }], build: ([a]) => op.gelu(op.mul(a!, 2)) }],
  ['softmax', { inputs: [{ name: 'a', shape: [2, 5, 3] }], build: ([a]) => op.softmax(a!, 1) }],
  ['logSoftmax', { inputs: [{ name: 'a', shape: [2, 5, 3] }], build: ([a]) => op.logSoftmax(a!, -1) }],
  ['reshape transpose', { inputs: [{ name: 'a', shape: [2, 3, 4] }], build: ([a]) => op.transpose(op.reshape(a!, [4, -1, 3]), [2, 0, 1]) }],
  ['concat slice', { inputs: [{ name: 'a', shape: [2, 3] }, { name: 'b', shape: [2, 2] }], build: ([a, b]) => op.slice(op.concat([a!, b!], 1), { starts: [1], ends: [4], axes: [1] }) }],
  ['reduceSum reduceMean', { inputs: [{ name: 'a', shape: [2, 3, 4] }], build: ([a]) => op.add(op.reduceSum(a!, [1], true), op.reduceMean(a!, [0, 2], true)) }],
  ['matmul batched', { inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [4, 5] }], build: ([a, b]) => op.matmul(a!, b!) }],
  ['gemm transB + bias', { inputs: [{ name: 'x', shape: [2, 4] }, { name: 'w', shape: [3, 4] }, { name: 'b', shape: [3] }], build: ([x, w, b]) => op.gemm(x!, w!, b!, { transB: true }) }],
  ['film: x * (1 + scale) + shift', { inputs: [{ name: 'x', shape: x5(3, 2) }, { name: 's', shape: [1, 3] }, { name: 't', shape: [1, 3] }], build: ([x, s, t]) => op.film(x!, s!, t!) }],
  ['time MLP: linear - silu - linear - silu, sliced into FiLM scale and shift', { inputs: [{ name: 'e', shape: [2, 4] }, { name: 'w1', shape: [6, 4] }, { name: 'b1', shape: [6] }, { name: 'w2', shape: [4, 6] }, { name: 'b2', shape: [4] }, { name: 'x', shape: [2, 2, 2, 1, 2] }],
    build: ([e, w1, b1, w2, b2, x]) => {
      const h = op.silu(op.gemm(op.silu(op.gemm(e!, w1!, b1!, { transB: true })), w2!, b2!, { transB: true }));
      return op.film(x!, op.slice(h, { starts: [0], ends: [2], axes: [1] }), op.slice(h, { starts: [2], ends: [4], axes: [1] }));
    } }],
  ['l2Normalize', { inputs: [{ name: 'a', shape: [3, 4] }], build: ([a]) => l2Normalize(a!, 1) }],
  ['infoNce (vox2vec: symmetric, tau 0.1, own diagonal masked, one empty slot)', { inputs: [{ name: 'a', shape: [5, 3] }, { name: 'b', shape: [5, 3] }, { name: 'w', shape: [5], data: [1, 1, 0, 1, 1], constant: true }],
    build: ([a, b, w]) => infoNce({ z1: l2Normalize(a!, 1), z2: l2Normalize(b!, 1), weights: w! }) }],
  ['scaleShift (FiLM)', { inputs: [{ name: 'x', shape: x5(3, 2) }, { name: 's', shape: [1, 3] }, { name: 't', shape: [1, 3] }], build: ([x, s, t]) => op.scaleShift(x!, s!, t!) }],
  ['conv3d k3 s1 p1 + bias', { inputs: [{ name: 'x', shape: x5(2, 4) }, { name: 'w', shape: [3, 2, 3, 3, 3] }, { name: 'b', shape: [3] }], build: ([x, w, b]) => op.conv3d(x!, w!, b!, { pad: 1 }) }],
  ['conv3d k3 s2 p1 (subpixel dX)', { inputs: [{ name: 'x', shape: x5(2, 6) }, { name: 'w', shape: [3, 2, 3, 3, 3] }], build: ([x, w]) => op.conv3d(x!, w!, undefined, { stride: 2, pad: 1 }) }],
  ['conv3d k3 s2 p1 odd size', { inputs: [{ name: 'x', shape: [1, 2, 5, 4, 3] }, { name: 'w', shape: [2, 2, 3, 3, 3] }], build: ([x, w]) => op.conv3d(x!, w!, undefined, { stride: 2, pad: 1 }) }],
  ['conv3d asymmetric pads', { inputs: [{ name: 'x', shape: x5(2, 3) }, { name: 'w', shape: [2, 2, 2, 2, 2] }], build: ([x, w]) => op.conv3d(x!, w!, undefined, { pad: [1, 0, 1, 0, 1, 0] }) }],
  ['conv3d asymmetric pads, stride 2', { inputs: [{ name: 'x', shape: x5(2, 5) }, { name: 'w', shape: [2, 2, 3, 3, 3] }], build: ([x, w]) => op.conv3d(x!, w!, undefined, { pad: [0, 1, 1, 1, 0, 1], stride: 2 }) }],
  ['conv3d k1', { inputs: [{ name: 'x', shape: x5(4, 3) }, { name: 'w', shape: [2, 4, 1, 1, 1] }, { name: 'b', shape: [2] }], build: ([x, w, b]) => op.conv3d(x!, w!, b!) }],
  ['conv3d groups 2', { inputs: [{ name: 'x', shape: x5(4, 3) }, { name: 'w', shape: [6, 2, 3, 3, 3] }], build: ([x, w]) => op.conv3d(x!, w!, undefined, { pad: 1, groups: 2 }) }],
  ['conv3d batch 2 (dilated-conv dW)', { inputs: [{ name: 'x', shape: [2, 2, 4, 4, 4] }, { name: 'w', shape: [3, 2, 3, 3, 3] }], build: ([x, w]) => op.conv3d(x!, w!, undefined, { pad: 1, stride: 2 }) }],
  ['conv3d convTranspose lowering', { lowering: { convInputGradStride1: 'convTranspose', convInputGradStride2: 'convTranspose', convWeightGradBatch1: 'dilatedConv' }, inputs: [{ name: 'x', shape: x5(2, 4) }, { name: 'w', shape: [2, 2, 3, 3, 3] }], build: ([x, w]) => op.add(op.conv3d(x!, w!, undefined, { pad: 1 }), op.upsampleNearest2x(op.conv3d(x!, w!, undefined, { pad: 1, stride: 2 }))) }],
  ['conv3d splitGemm dW, stride 1 and 2', { lowering: { convWeightGradBatch1: 'splitGemm' }, inputs: [{ name: 'x', shape: x5(2, 4) }, { name: 'w', shape: [3, 2, 3, 3, 3] }], build: ([x, w]) => op.concat([op.conv3d(x!, w!, undefined, { pad: 1 }), op.upsampleNearest2x(op.conv3d(x!, w!, undefined, { pad: 1, stride: 2 }))], 1) }],
  ['conv3d flatIm2col dW, X shifted (Ci <= Co) and dY shifted (Co < Ci), asymmetric pads', { lowering: { convWeightGradBatch1: 'flatIm2col' }, inputs: [{ name: 'x', shape: [1, 2, 4, 3, 5] }, { name: 'w', shape: [3, 2, 3, 3, 3] }, { name: 'v', shape: [1, 2, 2, 2, 2] }], build: ([x, w, v]) => op.concat([op.conv3d(x!, w!, undefined, { pad: 1 }), op.conv3d(x!, v!, undefined, { pad: [1, 0, 1, 0, 1, 0] })], 1) }],
  ['conv3d shiftedGemm dW, stride 1 and 2', { lowering: { convWeightGradBatch1: 'shiftedGemm' }, inputs: [{ name: 'x', shape: x5(2, 4) }, { name: 'w', shape: [3, 2, 3, 3, 3] }], build: ([x, w]) => op.concat([op.conv3d(x!, w!, undefined, { pad: 1 }), op.upsampleNearest2x(op.conv3d(x!, w!, undefined, { pad: 1, stride: 2 }))], 1) }],
  ['upsampleNearest2x', { inputs: [{ name: 'x', shape: [1, 2, 2, 3, 2] }], build: ([x]) => op.upsampleNearest2x(x!) }],
  ['upsample expand lowering', { lowering: { upsampleNearest: 'expand' }, inputs: [{ name: 'x', shape: [1, 2, 2, 3, 2] }], build: ([x]) => op.upsampleNearest2x(x!) }],
  ['upsampleConv3d (low-resolution parity convs)', { inputs: [{ name: 'x', shape: [1, 2, 2, 3, 2] }, { name: 'w', shape: [3, 2, 3, 3, 3] }, { name: 'b', shape: [3] }], build: ([x, w, b]) => op.upsampleConv3d(x!, w!, b!) }],
  ['pixelShuffle3d', { inputs: [{ name: 'x', shape: [1, 16, 2, 1, 2] }], build: ([x]) => op.pixelShuffle3d(x!, 2) }],
  ['maxPool3d', { inputs: [{ name: 'x', shape: x5(2, 4) }], build: ([x]) => op.maxPool3d(x!, { kernel: 2 }) }],
  ['avgPool3d', { inputs: [{ name: 'x', shape: [1, 2, 4, 5, 4] }], build: ([x]) => op.avgPool3d(x!, { kernel: 2 }) }],
  ['groupNorm', { inputs: [{ name: 'x', shape: [2, 4, 3, 2, 3] }, { name: 'g', shape: [4] }, { name: 'b', shape: [4] }], build: ([x, g, b]) => op.groupNorm(x!, g!, b!, { groups: 2 }) }],
  ['groupNorm batch 1 (BatchNormalization affine)', { inputs: [{ name: 'x', shape: [1, 4, 3, 2, 3] }, { name: 'g', shape: [4] }, { name: 'b', shape: [4] }], build: ([x, g, b]) => op.groupNorm(x!, g!, b!, { groups: 2 }) }],
  ['groupNorm GroupNormalization lowering', { lowering: { groupNormForward: 'groupNormalization' }, inputs: [{ name: 'x', shape: [2, 4, 3, 2, 3] }, { name: 'g', shape: [4] }, { name: 'b', shape: [4] }], build: ([x, g, b]) => op.groupNorm(x!, g!, b!, { groups: 2 }) }],
  ['groupNorm via instanceNorm lowering', { lowering: { groupNormForward: 'instanceNorm' }, inputs: [{ name: 'x', shape: [1, 4, 3, 2, 3] }, { name: 'g', shape: [4] }, { name: 'b', shape: [4] }], build: ([x, g, b]) => op.groupNorm(x!, g!, b!, { groups: 2 }) }],
  ['instanceNorm', { inputs: [{ name: 'x', shape: [2, 3, 2, 3, 2] }, { name: 'g', shape: [3] }, { name: 'b', shape: [3] }], build: ([x, g, b]) => op.instanceNorm(x!, g!, b!) }],
  ['mseLoss masked', { inputs: [{ name: 'p', shape: [1, 2, 3] }, { name: 't', shape: [1, 2, 3] }, { name: 'm', shape: [1, 1, 3], data: [1, 0, 1], constant: true }], build: ([p, t, m]) => op.mseLoss(p!, t!, m!) }],
  ['softmaxCrossEntropy int labels', { inputs: [{ name: 'z', shape: [1, 3, 2, 2, 2] }, { name: 'y', shape: [1, 2, 2, 2], dtype: 'int64', data: [0, 1, 2, 1, 0, 2, 2, 1], constant: true }], build: ([z, y]) => op.softmaxCrossEntropy(z!, y!) }],
  ['softmaxCrossEntropy probs', { inputs: [{ name: 'z', shape: [2, 3, 4] }, { name: 'p', shape: [2, 3, 4], data: pos(24, 0), constant: true }], build: ([z, p]) => op.softmaxCrossEntropyProbs(z!, p!) }],
  ['bceWithLogits masked', { inputs: [{ name: 'z', shape: [1, 2, 4] }, { name: 't', shape: [1, 2, 4], data: [0, 1, 1, 0, 0.5, 1, 0, 0], constant: true }, { name: 'm', shape: [1, 1, 4], data: [1, 1, 0, 1], constant: true }], build: ([z, t, m]) => op.bceWithLogits(z!, t!, m!) }],
  ['softDiceLoss masked', { inputs: [{ name: 'p', shape: [1, 2, 2, 3] }, { name: 't', shape: [1, 2, 2, 3], data: [1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1], constant: true }, { name: 'm', shape: [1, 1, 2, 3], data: [1, 1, 0, 1, 1, 1], constant: true }], build: ([p, t, m]) => op.softDiceLoss(op.sigmoid(p!), t!, { mask: m! }) }],
  ['gather axis 1, repeated indices', { inputs: [{ name: 'x', shape: [3, 6] }, { name: 'i', shape: [5], dtype: 'int64', data: [0, 2, 2, 5, 1], constant: true }], build: ([x, i]) => op.gather(x!, i!, 1) }],
  ['gather axis 0', { inputs: [{ name: 'x', shape: [4, 3] }, { name: 'i', shape: [3], dtype: 'int64', data: [3, 0, 3], constant: true }], build: ([x, i]) => op.gather(x!, i!, 0) }],
  ['safeSqrt', { inputs: [{ name: 'a', shape: [6], data: pos(6) }], build: ([a]) => op.safeSqrt(a!) }],
  ['pairwiseDistances (MatMul form)', { inputs: [{ name: 'a', shape: [4, 3] }, { name: 'b', shape: [5, 3] }], build: ([a, b]) => op.pairwiseDistances(a!, b!) }],
  ['apeLoss (pdist + consistency, empty slots)', {
    inputs: [{ name: 'e1', shape: [3, 8] }, { name: 'e2', shape: [3, 6] },
      { name: 'i1', shape: [4], dtype: 'int64', data: [1, 7, 3, 0], constant: true }, { name: 'i2', shape: [4], dtype: 'int64', data: [5, 0, 2, 2], constant: true },
      { name: 'p1', shape: [4, 3], constant: true }, { name: 'p2', shape: [4, 3], constant: true },
      { name: 'w1', shape: [4], data: [1, 1, 1, 0], constant: true }, { name: 'w2', shape: [4], data: [1, 1, 0, 1], constant: true },
      { name: 's', shape: [2], data: [1, 1], constant: true }],
    build: ([e1, e2, i1, i2, p1, p2, w1, w2, s]) => apeLoss({ emb1: e1!, emb2: e2!, idx1: i1!, idx2: i2!, pos1: p1!, pos2: p2!, w1: w1!, w2: w2!, shared: s! }).total,
  }],
];

for (const [name, c] of cases) test(`gradient: ${name}`, (t) => check(name, c, (m) => t.diagnostic(m)));

test('gradient: a value used twice accumulates (x * x + x)', () => check('reuse', { inputs: [{ name: 'a', shape: [4] }], build: ([a]: Value[]) => op.add(op.mul(a!, a!), a!) }));
