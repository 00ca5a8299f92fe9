// The engine's op set. Each op file keeps an op's shape rule, ONNX emission and gradient together.
export { abs, add, broadcastShapes, cast, div, exp, greater, log, mul, neg, pow, scalar, sign, sqrt, square, sub, sumTo, tanh, where } from './elementwise.js';
export { gelu, leakyRelu, logSoftmax, relu, sigmoid, silu, softmax } from './activations.js';
export { concat, expand, flatten, identity, pad, reshape, slice, transpose, zerosLike, type SliceSpec } from './shape.js';
export { reduceMax, reduceMean, reduceSum, sumSquares } from './reduce.js';
export { film, gemm, matmul, scaleShift, type GemmOptions } from './linear.js';
export { conv3d, conv3dOutShape, subpixelAxis, type Conv3dOptions } from './conv.js';
export { pixelShuffle3d, upsampleConv3d, upsampleNearest2x } from './resample.js';
export { avgPool3d, maxPool3d, type Pool3dOptions } from './pool.js';
export { groupNorm, instanceNorm, type GroupNormOptions } from './norm.js';
export { bceWithLogits, mseLoss, softDiceLoss, softmaxCrossEntropy, softmaxCrossEntropyProbs, type SoftDiceOptions } from './losses.js';
export type { EmitContext, OnnxAttr, OpDef } from './op.js';
export { gather, pairwiseDistances, safeSqrt } from './gather.js';
