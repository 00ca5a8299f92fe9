/**
 * `anadiff bench infer`: sliding-window segmentation of a generated CT (phantom, preprocessed once as training does)
 * by anadiff (onnxruntime session) and by the same network and windowing in PyTorch CPU (a MONAI-style loop in
 * scripts/torch/anadiff_torch.py infer), each in its own process with the same threads, in one command.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePhantom } from '../../core/phantom/index.js';
import { preprocessCase } from '../../core/preprocess/index.js';
import { UsageError, type CliCommand } from '../command.js';
import { round } from '../../node/bench/stats.js';
import { findPython, peerScriptPath, runTimedSide } from './bench-peer.js';
import type { BenchSideResult } from './bench-train-child.js';
import { inferNetConfig, runInferSide, type InferSideOptions } from './bench-infer-child.js';
import { parseTriple } from './train-flags.js';
import { choiceFlag, numberFlag, parseFlags, type ParsedFlags } from './segment-flags.js';

const PHANTOM_SIZES = { '512x512x300': 'large', '160x128x64': 'small' } as const;

const usage = `usage: anadiff bench infer [options]

Times sliding-window segmentation (windows through the network + sigmoid, Gaussian blending, threshold 0.5) of a
generated CT preprocessed as training does (RAS, body crop, 1x1x2 mm, HU window): anadiff (onnxruntime) against the
same network (random weights) and windowing in PyTorch CPU, each in its own process, same threads. Prints both
medians, the ratio anadiff / pytorch and each side's peak RSS.

  --size IxJxK          the CT: 512x512x300 (default, the large phantom) or 160x128x64 (the small one)
  --net unet|fpn3d      network (default unet)     --preset tiny|small|paper   (default small)
  --spacing XxYxZ       preprocessing spacing in mm (default 1x1x2)
  --roi IxJxK           window (default 128x128x32)   --overlap F (default 0.5)   --batch N windows per call (default 1)
  --repeat N            timed runs (default 3), after --warmup W runs (default 0)
  --threads N           threads for both sides (default: all ${availableParallelism()} cores)
  --device cpu|cuda     anadiff's provider (PyTorch stays on the CPU; default cpu)
  --only anadiff|pytorch  run one side      --python PATH  Python with torch
  --json                print exactly {"anadiff": {"median_ms", "peak_rss_mb"}, "pytorch": {...}, "ratio"}`;

const VALUES = ['size', 'net', 'preset', 'spacing', 'roi', 'overlap', 'batch', 'repeat', 'warmup', 'threads', 'device', 'only', 'python', 'input', 'dims'];

function triple(flags: ParsedFlags, key: string, fallback: string, integer: boolean): [number, number, number] {
  return parseTriple(key, flags.values[key] ?? fallback, integer);
}

function sideOptions(flags: ParsedFlags, dims: readonly [number, number, number], input: string): InferSideOptions {
  const c = 'bench infer';
  const int = (k: string, fallback: number, min: number): number => numberFlag(c, flags, k, (n) => Number.isInteger(n) && n >= min, `an integer >= ${min}`) ?? fallback;
  return {
    net: choiceFlag(c, flags, 'net', ['unet', 'fpn3d'] as const) ?? 'unet',
    preset: choiceFlag(c, flags, 'preset', ['tiny', 'small', 'paper'] as const) ?? 'small',
    classes: 13, input, dims, roi: triple(flags, 'roi', '128x128x32', true),
    overlap: numberFlag(c, flags, 'overlap', (n) => n >= 0 && n < 1, 'in [0, 1)') ?? 0.5,
    batch: int('batch', 1, 1), repeat: int('repeat', 3, 1), warmup: int('warmup', 0, 0),
    threads: int('threads', availableParallelism(), 1), device: choiceFlag(c, flags, 'device', ['cpu', 'cuda'] as const) ?? 'cpu',
  };
}

const runSide = (what: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): BenchSideResult =>
  runTimedSide<BenchSideResult>('bench infer', what, cmd, args, env);

async function run(argv: readonly string[]): Promise<number> {
  const flags = parseFlags('bench infer', argv, { values: VALUES, switches: ['json', 'child'] }, usage);
  if (flags.switches.has('child')) {
    const input = flags.values.input;
    if (!input) throw new UsageError('bench infer --child needs --input');
    console.log(JSON.stringify(await runInferSide(sideOptions(flags, triple(flags, 'dims', '1x1x1', true), input))));
    return 0;
  }
  const sizeText = flags.values.size ?? '512x512x300';
  const size = PHANTOM_SIZES[sizeText as keyof typeof PHANTOM_SIZES];
  if (!size) throw new UsageError(`bench infer: --size must be one of ${Object.keys(PHANTOM_SIZES).join(', ')} (the generated phantoms), got ${sizeText}`);
  const only = choiceFlag('bench infer', flags, 'only', ['anadiff', 'pytorch'] as const);
  const probe = sideOptions(flags, [1, 1, 1], '');
  const spacing = triple(flags, 'spacing', '1x1x2', false);
  const phantom = makePhantom({ size });
  const pre = preprocessCase({ image: phantom.image }, { spacingMm: spacing });
  const dims = pre.image.dims;
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-bench-infer-'));
  try {
    const input = join(dir, 'volume.f32');
    writeFileSync(input, pre.image.data);
    const shared = [
      '--threads', String(probe.threads), '--repeat', String(probe.repeat), '--warmup', String(probe.warmup), '--batch', String(probe.batch),
      '--overlap', String(probe.overlap), '--input', input, '--dims', dims.join('x'), '--roi', probe.roi.join('x'),
    ];
    const env = { ...process.env, OMP_NUM_THREADS: String(probe.threads), MKL_NUM_THREADS: String(probe.threads) };
    const anadiff = only === 'pytorch' ? undefined : runSide('anadiff', process.execPath, [
      ...process.execArgv, resolve(process.argv[1] ?? ''), 'bench', 'infer', '--child', ...shared,
      '--net', probe.net, '--preset', probe.preset, '--device', probe.device,
    ], env);
    const pytorch = only === 'anadiff' ? undefined : runSide('pytorch', findPython('bench infer', 'torch', flags.values.python), [
      peerScriptPath('anadiff_torch.py'), 'infer', ...shared, '--config', JSON.stringify(inferNetConfig(probe)),
    ], env);
    const side = (r: BenchSideResult | undefined): { median_ms: number; peak_rss_mb: number } | null =>
      (r ? { median_ms: round(r.median_ms, 1), peak_rss_mb: round(r.peak_rss_mb, 1) } : null);
    const ratio = anadiff && pytorch ? round(anadiff.median_ms / pytorch.median_ms, 3) : null;
    if (flags.switches.has('json')) {
      console.log(JSON.stringify({ anadiff: side(anadiff), pytorch: side(pytorch), ratio }));
      return 0;
    }
    console.log(`bench infer: phantom ${sizeText} -> preprocessed ${dims.join('x')} at ${spacing.join('x')} mm; ${probe.net} ${probe.preset}, 13 sigmoid channels, window ${probe.roi.join('x')}, overlap ${probe.overlap}, batch ${probe.batch}, ${probe.threads} threads, median of ${probe.repeat}`);
    for (const [name, r] of [['anadiff', anadiff], ['pytorch', pytorch]] as const) {
      if (!r) continue;
      const perSlices = (r.median_ms / 1000) * (100 / dims[2]);
      console.log(`  ${name.padEnd(8)} ${(r.median_ms / 1000).toFixed(2).padStart(8)} s   (${perSlices.toFixed(2)} s per 100 preprocessed slices, ${String(r.windows)} windows)   peak RSS ${r.peak_rss_mb.toFixed(0)} MB`);
    }
    if (ratio !== null) console.log(`  ratio (anadiff / pytorch): ${ratio.toFixed(3)}  (goal < 1)`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchInferCommand: CliCommand = {
  name: 'bench infer',
  summary: 'time sliding-window segmentation of a 512x512x300 CT against PyTorch CPU (same network, windows, threads)',
  usage,
  run,
};
