/**
 * Every choice of how an engine op becomes ONNX lives here, with the measured reason beside it
 * (onnxruntime-node 1.29 CPU EP, 2 threads; see docs/engine-core.md and ../shared/notes/onnxruntime.md).
 * Serialisation takes a partial override so benchmarks can compare alternatives in one command
 * (`anadiff bench lowering`).
 *
 * One choice is made when the graph is BUILT, not here: "nearest x2 + conv 3x3x3" should be written as
 * `upsampleConv3d` (ops/resample.ts), which computes the same function at low resolution with 8 parity 2x2x2 convs:
 * 16 instead of 54 multiply-adds per output voxel and channel pair; measured 20% less CPU per UNet step.
 */
export interface LoweringChoices {
  /**
   * dX of a stride-1 conv. 'flippedConv': Conv of dY with the spatially flipped, channel-swapped weight (79 GFLOP/s,
   * same speed as the forward conv). 'convTranspose': ConvTranspose (7-8x slower on the CPU EP; kept for comparison).
   */
  readonly convInputGradStride1: 'flippedConv' | 'convTranspose';
  /**
   * dX of a stride-2 conv. 'subpixel': one stride-1 conv of dY with the 8 parity sub-kernels stacked as output
   * channels, then a 3-D pixel shuffle (a Reshape/Transpose); no ConvTranspose. 'convTranspose' for comparison.
   */
  readonly convInputGradStride2: 'subpixel' | 'convTranspose';
  /**
   * dW of a conv at batch 1. 'shiftedGemm': one Gemm(dY, shifted slice of padded X, transB) per kernel tap
   * (about 2x faster than the dilated conv: 280 vs 510 ms on [1,32,64^3] 3x3x3). 'dilatedConv': Conv of X with axes
   * 0,1 swapped against dY as the weight, dilation = stride. Batch > 1 always uses 'dilatedConv'.
   * 'splitGemm': X once to channels-last, each tap a Slice of it viewed as [P, n/P, Ci] and ONE batched MatMul with
   * dY as [P, Co, n/P]: the voxel reduction (K, tens of thousands long) is split in P chunks that run on separate
   * threads (MLAS threads a single GEMM only over M and N, which are just Co x Ci here), then summed over P.
   */
  readonly convWeightGradBatch1: 'shiftedGemm' | 'dilatedConv' | 'splitGemm';
  /**
   * GroupNorm forward. 'affine': mean and 1/std from ReduceMean + ReduceSumSquare over [N, G, -1], then
   * y = a x + b per (n, c); the statistics are graph values the backward reuses (no second pass over x).
   * 'groupNormalization': the opset-21 op; ORT 1.29 has no kernel and expands its function body with Casts to
   * float32 and long elementwise chains (seen in the profile as Cast/Sub/Mul, 1.2 s of a 64^3 UNet step).
   * 'instanceNorm': Reshape to [N, G, -1] + InstanceNormalization + per-channel Mul/Add.
   */
  readonly groupNormForward: 'affine' | 'groupNormalization' | 'instanceNorm';
  /**
   * A per-channel affine y = a x + b at batch 1 (norm forward and backward). 'batchNorm': one inference-mode
   * BatchNormalization (mean 0, var 1, epsilon 0): a single pass. 'mulAdd': Mul + Add (two passes).
   */
  readonly channelAffine: 'batchNorm' | 'mulAdd';
  /**
   * Nearest x2 upsampling. 'resize': Resize (nearest). 'expand': Reshape to [N,C,D,1,H,1,W,1] + Expand + Reshape.
   */
  readonly upsampleNearest: 'resize' | 'expand';
}

export const defaultLowering: LoweringChoices = {
  convInputGradStride1: 'flippedConv',
  convInputGradStride2: 'subpixel',
  convWeightGradBatch1: 'splitGemm',
  groupNormForward: 'affine',
  channelAffine: 'batchNorm',
  upsampleNearest: 'resize',
};

export function resolveLowering(overrides?: Partial<LoweringChoices>): LoweringChoices {
  return { ...defaultLowering, ...overrides };
}
