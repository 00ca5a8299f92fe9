import { parseArgs } from 'node:util';
import { type LoweringChoices, defaultLowering } from '../../core/lowering.js';
import { profileGraph } from '../../node/bench/profile.js';
import { randomFeeds, timeGraph } from '../../node/bench/time-graph.js';
import { buildUNetBenchStep } from '../../node/bench/unet-step.js';
import { UsageError, type CliCommand } from '../command.js';

const usage = `usage: anadiff bench lowering [--size 64] [--channels 16] [--up nearest|lowres|pixelshuffle] [--runs 5]
                              [--threads N] [--profile] [--json]

Times one training step (forward, softmax CE, backward, SGD update; batch 1) of a 3-level UNet built from the
engine's core ops, first with the default lowerings (src/core/lowering.ts), then with each alternative, one
choice changed at a time, and prints wall and CPU-time medians and the ratio to the default. Session threads
default to all cores. CPU time (ORT spinning off) is the steadier figure on a loaded machine.
--profile also prints the kernel time per ONNX op type of the default lowering.
--quick times the default lowering only (and prints the process's peak RSS).`;

const alternatives: [string, Partial<LoweringChoices>][] = [
  ['dX stride 1: convTranspose', { convInputGradStride1: 'convTranspose' }],
  ['dX stride 2: convTranspose', { convInputGradStride2: 'convTranspose' }],
  ['dW: splitGemm', { convWeightGradBatch1: 'splitGemm' }],
  ['dW: flatIm2col (stride 1 everywhere)', { convWeightGradBatch1: 'flatIm2col' }],
  ['dW: shiftedGemm', { convWeightGradBatch1: 'shiftedGemm' }],
  ['dW: dilatedConv', { convWeightGradBatch1: 'dilatedConv' }],
  ['GroupNorm: GroupNormalization op', { groupNormForward: 'groupNormalization' }],
  ['GroupNorm: InstanceNormalization', { groupNormForward: 'instanceNorm' }],
  ['channel affine: Mul + Add', { channelAffine: 'mulAdd' }],
  ['upsample: Expand', { upsampleNearest: 'expand' }],
];

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

export const benchLoweringCommand: CliCommand = {
  name: 'bench lowering',
  summary: 'compare the engine lowerings on a UNet training step',
  usage,
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: {
      size: { type: 'string' }, channels: { type: 'string' }, up: { type: 'string' }, runs: { type: 'string' },
      threads: { type: 'string' }, profile: { type: 'boolean' }, json: { type: 'boolean' }, quick: { type: 'boolean' },
    } });
    const size = int(values.size, 64, 'size');
    if (size % 4 !== 0) throw new UsageError(`--size must be a multiple of 4, got ${size}`);
    const up = values.up ?? 'nearest';
    if (up !== 'nearest' && up !== 'lowres' && up !== 'pixelshuffle') throw new UsageError(`--up must be nearest, lowres or pixelshuffle, got "${up}"`);
    const runs = int(values.runs, 5, 'runs');
    const threads = values.threads === undefined ? 0 : int(values.threads, 1, 'threads');
    const g = buildUNetBenchStep({ size, channels: int(values.channels, 16, 'channels'), up });
    const feeds = randomFeeds(g);
    // The default runs first and last; the baseline is the faster of the two, so machine-load drift and first-run
    // effects (arena growth, page faults) do not favour the alternatives.
    const timed = [];
    const variants = values.quick ? [['default', {}] as const] : [['default', {}] as const, ...alternatives, ['default (again)', {}] as const];
    for (const [variant, lowering] of variants) {
      timed.push({ variant, ...(await timeGraph(g, feeds, { runs, threads, lowering })) });
    }
    const defaults = timed.filter((t) => t.variant.startsWith('default'));
    const base = defaults.reduce((a, b) => (b.cpuMedianMs < a.cpuMedianMs ? b : a));
    const rows = timed.map((t) => ({ ...t, cpuRatio: t.cpuMedianMs / base.cpuMedianMs, wallRatio: t.medianMs / base.medianMs }));
    const profile = values.profile ? await profileGraph(g, feeds, { threads }) : undefined;
    if (values.json) {
      console.log(JSON.stringify({ size, nodes: g.nodes.length, defaults: defaultLowering, rows, peak_rss_mb: process.resourceUsage().maxRSS / 1024, profile: profile?.byOp.slice(0, 15) }));
      return 0;
    }
    console.log(`UNet step ${size}^3, ${g.nodes.length} engine nodes; ratios are variant / default (above 1: default is faster)`);
    console.log('variant                              wall ms   cpu ms  cpu ratio  wall ratio');
    for (const r of rows) {
      console.log(`${r.variant.padEnd(36)} ${r.medianMs.toFixed(0).padStart(7)} ${r.cpuMedianMs.toFixed(0).padStart(8)} ${r.cpuRatio.toFixed(2).padStart(10)} ${r.wallRatio.toFixed(2).padStart(11)}`);
    }
    console.log(`serialise ${base.serialiseMs.toFixed(0)} ms, session create ${base.sessionMs.toFixed(0)} ms, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    if (profile) {
      console.log(`\nkernel time by op type (default lowering, total ${profile.totalMs.toFixed(0)} ms):`);
      for (const o of profile.byOp.slice(0, 15)) console.log(`  ${o.op.padEnd(22)} ${o.ms.toFixed(1).padStart(8)} ms`);
    }
    return 0;
  },
};
