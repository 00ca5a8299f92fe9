/**
 * `anadiff bench train`: anadiff's training step (or inference) against the identical network in PyTorch, each side in
 * its own child process (honest peak RSS), same thread count or the same GPU, in one command.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { defaultLowering, type LoweringChoices } from '../../core/lowering.js';
import { UsageError, type CliCommand } from '../command.js';
import { round } from '../../node/bench/stats.js';
import { findPython, peerScriptPath, runTimedSide } from './bench-peer.js';
import { runAnadiffSide, type BenchSideOptions, type BenchSideResult } from './bench-train-child.js';

const usage = `usage: anadiff bench train [options]

Times anadiff's training step (forward + loss + backward + AdamW, one onnxruntime session run) and the identical
network in PyTorch (scripts/torch/anadiff_torch.py), each in its own process, and prints both medians, the ratio
(anadiff / pytorch) and each side's peak RSS.

  --net unet|fpn3d      network (default unet: 3 levels c, 2c, 4c; fpn3d: small preset, 4 levels)
  --size N              cubic patch side (default 64; multiple of 4, of 8 for fpn3d)
  --channels C          first-level channels (default 16)
  --levels L            fpn3d pyramid levels (default 4)
  --steps N             timed steps (default 8), after --warmup W steps (default 2)
  --threads N           threads for both sides (default: all ${availableParallelism()} cores)
  --device cpu|cuda     onnxruntime CUDA provider and PyTorch on the same GPU (default cpu)
  --infer               inference only (forward pass)
  --only anadiff|pytorch  run one side
  --arena               anadiff with onnxruntime's CPU memory arena (off by default: about half the peak RSS)
  --profile             add anadiff's kernel time per op type (onnxruntime profiler; slows the run a little)
 --lowering K=V,...    override core lowering choices (src/core/lowering.ts), e.g. upsampleNearest=expand
  --python PATH         Python with torch (default: $ANADIFF_PYTHON, /usr/bin/python3, python3: first with torch)
  --json                print exactly one JSON object {"anadiff": {...}, "pytorch": {...}, "ratio": ...}`;

interface BenchArgs extends BenchSideOptions {
  readonly json: boolean;
  readonly only?: 'anadiff' | 'pytorch';
  readonly python?: string;
  readonly child: boolean;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const opts: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new UsageError(`bench train: unexpected argument "${a}"\n${usage}`);
    const key = a.slice(2);
    if (['json', 'infer', 'child', 'profile', 'arena'].includes(key)) opts[key] = true;
    else {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`bench train: ${a} needs a value`);
      opts[key] = v;
    }
  }
  const known = ['net', 'size', 'channels', 'levels', 'steps', 'warmup', 'threads', 'device', 'infer', 'only', 'python', 'json', 'child', 'lowering', 'profile', 'arena'];
  for (const k of Object.keys(opts)) if (!known.includes(k)) throw new UsageError(`bench train: unknown option --${k}`);
  const int = (k: string, fallback: number, min = 1): number => {
    const v = opts[k];
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`bench train: --${k} must be an integer >= ${min}, got ${String(v)}`);
    return n;
  };
  const choice = <T extends string>(k: string, values: readonly T[], fallback: T | undefined): T | undefined => {
    const v = opts[k];
    if (v === undefined) return fallback;
    if (!values.includes(v as T)) throw new UsageError(`bench train: --${k} must be one of ${values.join(', ')}, got ${String(v)}`);
    return v as T;
  };
  const net = choice('net', ['unet', 'fpn3d'] as const, 'unet')!;
  const levels = opts.levels === undefined ? undefined : int('levels', 4, 2);
  const size = int('size', 64, 4);
  const multiple = net === 'unet' ? 4 : 2 ** ((levels ?? 4) - 1);
  if (size % multiple !== 0) throw new UsageError(`bench train: --size must be a multiple of ${multiple} for ${net}`);
  const only = choice('only', ['anadiff', 'pytorch'] as const, undefined);
  const python = typeof opts.python === 'string' ? opts.python : undefined;
  const lowering = typeof opts.lowering === 'string' ? parseLowering(opts.lowering) : undefined;
  return {
    net, size, channels: int('channels', 16), steps: int('steps', 8), warmup: int('warmup', 2, 0),
    threads: int('threads', availableParallelism()), device: choice('device', ['cpu', 'cuda'] as const, 'cpu')!,
    infer: opts.infer === true, json: opts.json === true, child: opts.child === true, profile: opts.profile === true,
    ...(opts.arena === true ? { memArena: true } : {}),
    ...(levels !== undefined ? { levels } : {}), ...(only ? { only } : {}), ...(python ? { python } : {}),
    ...(lowering ? { lowering } : {}),
  };
}

/** `key=value,key=value` against the known lowering choices (so a typo fails instead of measuring the default). */
function parseLowering(text: string): Partial<LoweringChoices> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const [key, value] = pair.split('=');
    if (!key || !value || !(key in defaultLowering)) {
      throw new UsageError(`bench train: --lowering ${pair}: known keys are ${Object.keys(defaultLowering).join(', ')}`);
    }
    out[key] = value;
  }
  return out as Partial<LoweringChoices>;
}

function sideArgs(a: BenchArgs): string[] {
  return [
    '--net', a.net, '--size', String(a.size), '--channels', String(a.channels), '--steps', String(a.steps),
    '--warmup', String(a.warmup), '--threads', String(a.threads), '--device', a.device,
    ...(a.levels ? ['--levels', String(a.levels)] : []), ...(a.infer ? ['--infer'] : []),
  ];
}

function anadiffArgs(a: BenchArgs): string[] {
  const lowering = a.lowering ? Object.entries(a.lowering).map(([k, v]) => `${k}=${String(v)}`).join(',') : '';
  return [...sideArgs(a), ...(lowering ? ['--lowering', lowering] : []), ...(a.profile ? ['--profile'] : []), ...(a.memArena ? ['--arena'] : []), '--child'];
}

const runSide = (what: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): BenchSideResult =>
  runTimedSide<BenchSideResult>('bench train', what, cmd, args, env);

async function run(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv);
  if (a.child) {
    console.log(JSON.stringify(await runAnadiffSide(a)));
    return 0;
  }
  // Both sides pinned to the same thread count; OMP/MKL variables keep PyTorch's pools from oversubscribing.
  const env = { ...process.env, OMP_NUM_THREADS: String(a.threads), MKL_NUM_THREADS: String(a.threads) };
  const cli = resolve(process.argv[1] ?? '');
  const anadiff = a.only === 'pytorch' ? undefined
    : runSide('anadiff', process.execPath, [...process.execArgv, cli, 'bench', 'train', ...anadiffArgs(a)], env);
  const pytorch = a.only === 'anadiff' ? undefined
    : runSide('pytorch', findPython('bench train', 'torch', a.python), [peerScriptPath('anadiff_torch.py'), 'bench', ...sideArgs(a)], env);
  const ratio = anadiff && pytorch ? anadiff.median_ms / pytorch.median_ms : null;
  const side = (r: BenchSideResult | undefined): { median_ms: number; peak_rss_mb: number } | null =>
    r ? { median_ms: round(r.median_ms, 2), peak_rss_mb: round(r.peak_rss_mb) } : null;
  if (a.json) {
    console.log(JSON.stringify({ anadiff: side(anadiff), pytorch: side(pytorch), ratio: ratio === null ? null : round(ratio, 3) }));
    return 0;
  }
  const mode = `${a.infer ? 'inference' : 'training step (AdamW)'}${a.lowering ? `, lowering ${JSON.stringify(a.lowering)}` : ''}${a.memArena ? ', memory arena on' : ''}`;
  console.log(`bench train: ${a.net} ${a.size}^3, ${a.channels} channels, batch 1, ${mode}, ${a.device}, ${a.threads} threads, median of ${a.steps} after ${a.warmup} warmup`);
  const row = (name: string, r: BenchSideResult | undefined): void => {
    if (!r) return;
    const extra = Object.entries(r).filter(([k]) => k !== 'median_ms' && k !== 'peak_rss_mb' && k !== 'profile').map(([k, v]) => `${k}=${typeof v === 'number' ? round(v, 4) : String(v)}`).join(' ');
    console.log(`  ${name.padEnd(8)} ${round(r.median_ms).toFixed(1).padStart(9)} ms/step   peak RSS ${round(r.peak_rss_mb).toFixed(0).padStart(6)} MB   ${extra}`);
  };
  row('anadiff', anadiff);
  row('pytorch', pytorch);
  if (anadiff?.profile) {
    console.log(`  anadiff kernel ms per run by op type: ${Object.entries(anadiff.profile as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (ratio !== null) console.log(`  ratio (anadiff / pytorch): ${ratio.toFixed(3)}  (goal <= 0.8)`);
  return 0;
}

export const benchTrainCommand: CliCommand = {
  name: 'bench train',
  summary: 'time a training step (or inference) against PyTorch with the same threads or GPU',
  usage,
  run,
};
