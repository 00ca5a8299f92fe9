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
   * 'flatIm2col' (stride 1; else splitGemm): X padded once and flattened to [Ci, Lp], dY embedded in the same padded
   * grid, so each tap's window is a CONTIGUOUS range of every row; the operand with fewer channels is the one
   * shifted, its k^3 windows are stacked per chunk of the flat axis (2M floats) into [C k^3, len], and ONE Gemm per
   * chunk (M = C k^3, not M = Co per tap) accumulates dW. Needs the chunks' Gemms emitted after all windows, or ORT's
   * reverse-DFS order keeps every chunk's columns alive (453 MB extra at 64^3, 16 channels).
   * 'bySize' (default): flatIm2col for stride 1, >= 64^3 output voxels, channel counts >= 8 and UNEQUAL (the
   * shifted operand then has the fewer channels), else splitGemm. One thread, arena off, CPU ms per dW (splitGemm /
   * flatIm2col): 64^3 32->16: 231 / 110; 96^3 32->16: 790 / 378; 64^3 16->16: 102 / 83 (small gain for many nodes);
   * 32^3 32->32: 19 / 40 and 64^3 1->16: 21 / 34 (splitGemm wins).
   * Whole UNet step (nets' UNet, AdamW, 1 thread, arena off; splitGemm / bySize / flatIm2col wherever >= 8
   * channels): 64^3 CPU ms 1,234-1,327 / 1,132 / 1,089-1,141, peak RSS 584-632 / 644 / 689-729 MB, session
   * creation 0.65 / 1.3 / 2.8 s; 96^3 CPU ms 4,351 / 3,978 / 3,750-3,818, RSS 1,539 / 1,661 / 1,677-1,865 MB,
   * session 9.6 s for the last.
   * Chunk size 2M floats: 16M was slower (163 vs 110 ms at 64^3 32->16: with the arena off, buffers above glibc's
   * mmap threshold page-fault on every run), 4M about 15% slower but half the nodes (session 1.5 s).
   * Each chunk's span is sliced once and its windows sliced from it, with starts/ends that
   * repeat across chunks (shared constants): unique constants per window made session creation 7.3 s.
   * Pointwise convs (1x1x1, stride 1, no pad) always take one Gemm(dY [Co, n], X [Ci, n], transB) on the tensors as
   * they are: 2 vs 16 ms for the UNet head's dW (64^3, 16->2).
   */
  readonly convWeightGradBatch1: 'shiftedGemm' | 'dilatedConv' | 'splitGemm' | 'flatIm2col' | 'bySize';
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
  convWeightGradBatch1: 'bySize',
  groupNormForward: 'affine',
  channelAffine: 'batchNorm',
  upsampleNearest: 'resize',
};

export function resolveLowering(overrides?: Partial<LoweringChoices>): LoweringChoices {
  return { ...defaultLowering, ...overrides };
}
