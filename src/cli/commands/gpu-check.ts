/**
 * `anadiff gpu check`: opens a session on the asked provider over a small training-step graph (the same builders and
 * step loop as `bench train`), with onnxruntime's profiler on, runs a few steps, and reports where the nodes ran
 * (CUDAExecutionProvider or the CPU), the op types on the CPU, the host<->device bytes a step carries, and the median
 * step time. Strict: `--device cuda` never measures the CPU; without CUDA it fails naming what is missing.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { cpuProvider, cudaProvider, kernelEvents, placementOn, summarisePlacement, type OpPlacement, type PlacementSummary, type ProviderPlacement } from '../../core/profile/placement.js';
import { median, round } from '../../node/bench/stats.js';
import { gatherDoctorReport } from '../../node/engine/doctor.js';
import { onnxruntimeVersion } from '../../node/engine/install-cuda.js';
import { EngineSessionError, createEngineSession, maxThreads } from '../../node/engine/providers.js';
import { CliError, UsageError, type CliCommand } from '../command.js';
import { buildBenchStep, carriedBytes, timeBenchSteps } from './bench-train-child.js';

const usage = `usage: anadiff gpu check [--device cuda|cpu] [--json] [--size N] [--steps N]

Builds a small training step (UNet or FPN3d, forward + softmax CE + backward + AdamW, as \`bench train\`), opens one
onnxruntime session on the asked provider with the profiler on, runs --warmup + --steps steps, and reports: the
provider the session got, how many nodes and how much kernel time ran on CUDAExecutionProvider and on
CPUExecutionProvider, the op types placed on the CPU (fallbacks, in a CUDA session), onnxruntime's host<->device copy
nodes, the bytes of parameters and optimizer state a step copies each way, and the median step time.

--device cuda (the default) fails (exit 1) when no CUDA session can be created, naming what is missing as
\`anadiff doctor\` does; it never measures the CPU instead. --device cpu runs the same check on the CPU.

  --device cuda|cpu   provider to check (default cuda)
  --size N            cubic patch side (default 32; a multiple of 4, of 8 for fpn3d)
  --steps N           timed steps (default 5), after --warmup W (default 2; the first CUDA runs pick kernels)
  --net unet|fpn3d    network (default unet, 16/32/64 channels; fpn3d: small preset)
  --channels C        first-level channels (default 16)
  --threads N         intra-op threads (default all ${availableParallelism()} cores)
  --json              print exactly one JSON object (also on failure, with "ok": false)`;

interface GpuCheckArgs {
  readonly device: 'cpu' | 'cuda';
  readonly net: 'unet' | 'fpn3d';
  readonly size: number;
  readonly channels: number;
  readonly steps: number;
  readonly warmup: number;
  readonly threads: number;
  readonly json: boolean;
}

function parseArgs(argv: readonly string[]): GpuCheckArgs {
  const opts = new Map<string, string | true>();
  const valued = ['device', 'size', 'steps', 'warmup', 'net', 'channels', 'threads'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const key = a.startsWith('--') ? a.slice(2) : undefined;
    if (key === 'json') opts.set(key, true);
    else if (key !== undefined && valued.includes(key)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`gpu check: ${a} needs a value`);
      opts.set(key, v);
    } else throw new UsageError(`gpu check: unknown option ${a}\n${usage}`);
  }
  const int = (k: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = opts.get(k);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`gpu check: --${k} must be an integer from ${min} to ${max}, got ${String(v)}`);
    return n;
  };
  const choice = <T extends string>(k: string, values: readonly T[], fallback: T): T => {
    const v = opts.get(k);
    if (v === undefined) return fallback;
    if (!values.includes(v as T)) throw new UsageError(`gpu check: --${k} must be one of ${values.join(', ')}, got ${String(v)}`);
    return v as T;
  };
  const net = choice('net', ['unet', 'fpn3d'] as const, 'unet');
  // The check is meant to be small: 128^3 already takes seconds per step on a CPU.
  const size = int('size', 32, 4, 128);
  const multiple = net === 'unet' ? 4 : 8;
  if (size % multiple !== 0) throw new UsageError(`gpu check: --size must be a multiple of ${multiple} for ${net}, got ${size}`);
  return {
    device: choice('device', ['cuda', 'cpu'] as const, 'cuda'), net, size,
    channels: int('channels', 16, 1, 256), steps: int('steps', 5, 1, 1000), warmup: int('warmup', 2, 0, 100),
    threads: int('threads', availableParallelism(), 1, maxThreads()), json: opts.get('json') === true,
  };
}

/** One provider's share, as printed and as `--json` holds it. */
interface ProviderShare {
  readonly nodes: number;
  readonly kernel_ms: number;
  readonly node_share: number;
  readonly time_share: number;
}

/** What `--json` prints on success. */
export interface GpuCheckReport {
  readonly ok: true;
  readonly requested: 'cpu' | 'cuda';
  readonly provider: 'cpu' | 'cuda';
  readonly onnxruntime: string;
  readonly threads: number;
  readonly graph: { readonly net: string; readonly size: number; readonly channels: number; readonly nodes: number; readonly params: number; readonly carried_mb: number };
  readonly session_ms: number;
  readonly step: { readonly median_ms: number; readonly min_ms: number; readonly steps: number; readonly warmup: number; readonly loss: number; readonly profiler: true };
  readonly placement: {
    readonly runs: number;
    readonly nodes: number;
    readonly kernel_ms: number;
    readonly cuda: ProviderShare;
    readonly cpu: ProviderShare;
    /** Op types on CPUExecutionProvider (in a CUDA session: the fallbacks), most kernel time first. */
    readonly cpu_ops: readonly { readonly op: string; readonly nodes: number; readonly ms: number }[];
    /** onnxruntime's own host<->device copy nodes (MemcpyToHost / MemcpyFromHost), wherever placed. */
    readonly copies: readonly { readonly op: string; readonly nodes: number; readonly ms: number }[];
    /** Every provider seen in the profile (a third one would show here). */
    readonly providers: readonly { readonly provider: string; readonly nodes: number; readonly kernel_ms: number }[];
  };
}

const share = (p: ProviderPlacement): ProviderShare => ({ nodes: p.nodes, kernel_ms: round(p.ms, 3), node_share: round(p.nodeShare, 4), time_share: round(p.timeShare, 4) });
const opRow = (o: OpPlacement): { op: string; nodes: number; ms: number } => ({ op: o.op, nodes: o.nodes, ms: round(o.ms, 3) });

/** The placement part of the report, from the profile summary. */
export function placementReport(s: PlacementSummary): GpuCheckReport['placement'] {
  const copies = s.providers.flatMap((p) => p.ops.filter((o) => o.op.startsWith('Memcpy'))).map(opRow);
  return {
    runs: s.runs, nodes: s.nodes, kernel_ms: round(s.ms, 3),
    cuda: share(placementOn(s, cudaProvider)), cpu: share(placementOn(s, cpuProvider)),
    cpu_ops: placementOn(s, cpuProvider).ops.map(opRow), copies,
    providers: s.providers.map((p) => ({ provider: p.provider, nodes: p.nodes, kernel_ms: round(p.ms, 3) })),
  };
}

/**
 * Why CUDA cannot start: the session's own error (unless it only says the provider files are absent, which the
 * list says too) and each piece `anadiff doctor` finds missing, short in the one-line message and with its remedy
 * in `missing`.
 */
export function cudaFailureMessage(reason: string, missing: readonly string[]): string {
  const short = missing.map((m) => m.split(': ')[0]!);
  const parts = [
    ...(/^CUDA provider libraries are not installed/.test(reason) && missing.length > 0 ? [] : [reason]),
    ...(short.length > 0 ? [`missing: ${short.join(', ')}`] : []),
  ];
  return `gpu check: --device cuda: no CUDA session, nothing measured: ${parts.join('; ')} (how to get each: \`anadiff doctor\`)`;
}

async function openSession(a: GpuCheckArgs, model: Uint8Array, profilePrefix: string): Promise<{ session: ort.InferenceSession; provider: 'cpu' | 'cuda' }> {
  try {
    return await createEngineSession(model, { provider: a.device, threads: a.threads, strict: true, profilePrefix });
  } catch (e) {
    if (!(e instanceof EngineSessionError)) throw e;
    const reason = e.message.replace(/^provider \w+: /, '');
    if (a.device !== 'cuda') throw new CliError(`gpu check: no ${a.device} session: ${reason}`);
    const missing = [...(await gatherDoctorReport({ sessionCheck: false })).cuda.missing];
    const message = cudaFailureMessage(reason, missing);
    if (a.json) console.log(JSON.stringify({ ok: false, requested: a.device, error: message, reason, missing }));
    else if (missing.length > 0) console.error(['gpu check: what CUDA needs here (as `anadiff doctor` reports it):', ...missing.map((m) => `  - ${m}`)].join('\n'));
    throw new CliError(message);
  }
}

/** Reads the one profile file onnxruntime wrote into `dir` (the Node binding's endProfiling returns no path). */
function readPlacement(session: ort.InferenceSession, dir: string, runs: number, warmup: number): PlacementSummary {
  session.endProfiling();
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) throw new CliError(`gpu check: onnxruntime wrote no profile in ${dir}`);
  return summarisePlacement(kernelEvents(JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown), runs, warmup);
}

export async function runGpuCheck(a: GpuCheckArgs): Promise<GpuCheckReport> {
  const step = buildBenchStep({ net: a.net, size: a.size, channels: a.channels, infer: false });
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-gpu-check-'));
  try {
    const t0 = performance.now();
    const { session, provider } = await openSession(a, step.model, join(dir, 'ort'));
    const sessionMs = performance.now() - t0;
    try {
      const { times, loss } = await timeBenchSteps(session, step, a.warmup, a.steps);
      const placement = readPlacement(session, dir, a.warmup + a.steps, a.warmup);
      const { built } = step;
      return {
        ok: true, requested: a.device, provider, onnxruntime: onnxruntimeVersion(), threads: a.threads,
        graph: {
          net: a.net, size: a.size, channels: a.channels, nodes: built.graph.nodes.length,
          params: built.params.reduce((n, p) => n + p.shape.reduce((x, y) => x * y, 1), 0),
          carried_mb: round(carriedBytes(built) / 1e6, 3),
        },
        session_ms: Math.round(sessionMs),
        step: { median_ms: round(median(times), 3), min_ms: round(Math.min(...times), 3), steps: a.steps, warmup: a.warmup, loss: round(loss, 5), profiler: true },
        placement: placementReport(placement),
      };
    } finally {
      await session.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const ops = (rows: readonly { op: string; nodes: number; ms: number }[], most = 12): string =>
  rows.length === 0 ? 'none'
    : rows.slice(0, most).map((o) => `${o.op} x${o.nodes} ${o.ms.toFixed(2)} ms`).join(', ') + (rows.length > most ? `, and ${rows.length - most} more op types (--json lists all)` : '');

export function formatGpuCheck(r: GpuCheckReport): string {
  const p = r.placement;
  const lines = [
    `gpu check: ${r.graph.net} ${r.graph.size}^3, ${r.graph.channels} channels, training step (AdamW), ${r.graph.nodes} graph nodes, ${r.graph.params} parameters`,
    `  session     ${r.provider} (asked: ${r.requested}), created in ${r.session_ms} ms, onnxruntime ${r.onnxruntime}, ${r.threads} threads`,
    `  step        median ${r.step.median_ms.toFixed(2)} ms (min ${r.step.min_ms.toFixed(2)}) over ${r.step.steps} steps after ${r.step.warmup} warmup, profiler on; loss ${r.step.loss}`,
    `  placement   ${p.nodes} onnxruntime nodes, ${p.kernel_ms.toFixed(2)} kernel ms per run (mean of the ${p.runs} timed runs)`,
    `    ${cudaProvider.padEnd(22)} ${String(p.cuda.nodes).padStart(5)} nodes (${pct(p.cuda.node_share)})  ${p.cuda.kernel_ms.toFixed(2).padStart(9)} ms (${pct(p.cuda.time_share)})`,
    `    ${cpuProvider.padEnd(22)} ${String(p.cpu.nodes).padStart(5)} nodes (${pct(p.cpu.node_share)})  ${p.cpu.kernel_ms.toFixed(2).padStart(9)} ms (${pct(p.cpu.time_share)})`,
    ...p.providers.filter((x) => x.provider !== cudaProvider && x.provider !== cpuProvider)
      .map((x) => `    ${x.provider.padEnd(22)} ${String(x.nodes).padStart(5)} nodes  ${x.kernel_ms.toFixed(2).padStart(9)} ms`),
    `  ${r.provider === 'cuda' ? 'fell back to CPU' : 'on CPU'}: ${ops(p.cpu_ops)}`,
  ];
  if (r.provider === 'cuda') {
    lines.push(
      `  copy nodes: ${ops(p.copies)}`,
      `  carried: ${r.graph.carried_mb} MB of parameters and optimizer state go host->device and back every step (onnxruntime-node passes CPU tensors only)`,
      '  (CUDA kernel ms are launch times on the host: the step time is the measure)',
    );
  }
  return lines.join('\n');
}

async function run(argv: readonly string[]): Promise<number> {
  const a = parseArgs(argv);
  const report = await runGpuCheck(a);
  console.log(a.json ? JSON.stringify(report) : formatGpuCheck(report));
  return 0;
}

export const gpuCheckCommand: CliCommand = {
  name: 'gpu check',
  summary: 'open a session on CUDA (or CPU), run a small training step, report node placement and step time',
  usage,
  run,
};
