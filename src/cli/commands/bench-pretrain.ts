/**
 * `anadiff bench pretrain`: one pretraining step of `anadiff pretrain` (the job's own StepProgram: its graph, its
 * batch with the noise/corruption drawn on the host) against the same network and loss in PyTorch
 * (scripts/torch/anadiff_torch.py pretrain-bench), each side in its own child process, same threads or the same GPU.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { VOX2VEC_POSITIVES } from '../../core/pretrain/contrastive.js';
import { createRng, fillUniform } from '../../core/random/rng.js';
import { PRETRAIN_METHODS, PRETRAIN_OPTIMIZER, DEFAULT_EMA, contrastiveNetOf, defaultEma, diffusionNetOf, genesisNetOf, guidanceConfig, pretrainProgramFrom, type PretrainJob, type PretrainMethod, type PretrainVolume } from '../../node/train/jobs/pretrain.js';
import { ortTensorOf } from '../../node/engine/ort-tensors.js';
import { createSession } from '../../node/engine/providers.js';
import { median, round } from '../../node/bench/stats.js';
import { CliError, UsageError, type CliCommand } from '../command.js';
import { findPython, peerScriptPath, runTimedSide } from './bench-peer.js';
import { parseTriple, positiveIntOption } from './train-flags.js';
import type * as ort from 'onnxruntime-node';

const usage = `usage: anadiff bench pretrain [options]

Times one step of \`anadiff pretrain\` with its defaults (its own step graph and batch: forward, loss, backward, AdamW
with clipping, the weights' EMA for diffusion and guided (decay ${DEFAULT_EMA}), one onnxruntime session run) and the same
network, loss, optimizer and EMA in PyTorch, each in its own process; prints both medians, the ratio
(anadiff / pytorch) and each side's peak RSS. guided is its aux mode (the coordinate head, weight 1, the coordinates
of a random volume); contrastive is vox2vec's step on B crop pairs with ${VOX2VEC_POSITIVES} positives each. The host's batch
preparation (patch, noise, corruption or crop pairs) is timed apart and not in the ratio: PyTorch's side draws its
noise on the device and reuses one set of crops and random voxel indices.

  --method ${PRETRAIN_METHODS.join('|')}  (default diffusion)
  --preset tiny|small   the backbone preset (default small)
  --patch IxJxK         patch (default 64x64x32)   --batch B (default 2)
  --steps N (8) after --warmup W (2)   --threads N (default all ${availableParallelism()} cores)
  --device cpu|cuda     onnxruntime's CUDA provider and PyTorch on the same GPU (default cpu)
  --only anadiff|pytorch  --python PATH  --json`;

interface Side {
  readonly median_ms: number;
  readonly peak_rss_mb: number;
  readonly [extra: string]: unknown;
}

/** Guided is benched in its aux mode (the coordinate head) at pretrain's default weight. */
const BENCH_GUIDANCE = guidanceConfig('aux', 1);

/** The job `anadiff pretrain` runs by default for `method`, EMA included where it has one by default. */
function benchJob(method: PretrainMethod, preset: 'tiny' | 'small', patch: readonly [number, number, number], batch: number): PretrainJob {
  const ema = defaultEma(method);
  return {
    kind: 'pretrain', method, preset, patch, batch, optimizer: PRETRAIN_OPTIMIZER,
    schedule: { kind: 'constant', lr: 3e-4 },
    ...(method === 'guided' ? { guidance: BENCH_GUIDANCE } : {}),
    ...(ema !== undefined ? { ema } : {}),
  };
}

/**
 * A random CT twice the patch: intensities uniform in [0, 1], all body, 1 mm voxels (contrastive's crops overlap, so
 * its pairs share positives); guided's coordinates uniform in [-2, 2] (an abdomen's standardised range, guided-step.ts).
 */
function benchVolume(job: PretrainJob): PretrainVolume {
  const dims = [job.patch[0] * 2, job.patch[1] * 2, job.patch[2] * 2] as const;
  const voxels = dims[0] * dims[1] * dims[2];
  const image = new Float32Array(voxels);
  fillUniform(createRng(0, 1), image);
  const body = new Uint8Array(voxels).fill(1);
  if (job.method === 'contrastive') return { dims: [...dims], image, body, spacingMm: [1, 1, 1] };
  if (job.method !== 'guided') return { dims: [...dims], image };
  const coords = new Float32Array(3 * voxels);
  fillUniform(createRng(0, 3), coords, -2, 2);
  return { dims: [...dims], image, coords, body };
}

/** The anadiff side: the pretraining job's program on benchVolume, timed per session run. */
async function anadiffSide(job: PretrainJob, o: { steps: number; warmup: number; threads: number; device: 'cpu' | 'cuda' }): Promise<Side> {
  const volume = benchVolume(job);
  const t0 = performance.now();
  const program = pretrainProgramFrom(job, [volume]);
  const buildMs = performance.now() - t0;
  let session: ort.InferenceSession;
  try {
    session = await createSession(program.model, { threads: o.threads, provider: o.device, memArena: true });
  } catch (err) {
    throw new CliError(`bench pretrain: no ${o.device} session (${err instanceof Error ? err.message.split('\n')[0] : String(err)})${o.device === 'cuda' ? '; run `anadiff doctor`' : ''}`);
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of program.initState(createRng(0, 0))) feeds[name] = ortTensorOf(t);
  const rng = createRng(0, 2);
  const times: number[] = [];
  const batchTimes: number[] = [];
  let loss = NaN;
  for (let i = 1; i <= o.warmup + o.steps; i++) {
    const b0 = performance.now();
    for (const [name, t] of program.batch(i, rng)) feeds[name] = ortTensorOf(t);
    const start = performance.now();
    const out = await session.run(feeds);
    for (const c of program.carry) {
      const next = out[c.output];
      if (!next) throw new CliError(`bench pretrain: output ${c.output} missing`);
      feeds[c.input] = next;
    }
    loss = Number(out[program.lossOutput]?.data[0]);
    if (i > o.warmup) {
      times.push(performance.now() - start);
      batchTimes.push(start - b0);
    }
  }
  await session.release();
  return {
    median_ms: median(times), peak_rss_mb: process.resourceUsage().maxRSS / 1024, batch_prep_ms: median(batchTimes),
    build_ms: Math.round(buildMs), loss, device: o.device, threads: o.threads,
    params: program.carry.filter((c) => c.role === 'param').reduce((n, c) => n + c.shape.reduce((x, y) => x * y, 1), 0),
  };
}

/** The network the job trains, as the peer builds it. */
function netOf(job: PretrainJob): object {
  if (job.method === 'genesis') return genesisNetOf(job);
  if (job.method === 'contrastive') return contrastiveNetOf(job);
  return diffusionNetOf(job);
}

/**
 * The peer's flags that say which step to build: the job's network, guided's weight, contrastive's positives per
 * pair, the EMA where the job has one.
 */
function peerMethodArgs(job: PretrainJob): string[] {
  const weight = job.guidance && 'weight' in job.guidance ? ['--guidance-weight', String(job.guidance.weight)] : [];
  const positives = job.method === 'contrastive' ? ['--positives', String(job.positives ?? VOX2VEC_POSITIVES)] : [];
  return ['--config', JSON.stringify(netOf(job)), ...weight, ...positives, ...(job.ema !== undefined ? ['--ema', String(job.ema)] : [])];
}

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      method: { type: 'string' }, preset: { type: 'string' }, patch: { type: 'string' }, batch: { type: 'string' }, steps: { type: 'string' },
      warmup: { type: 'string' }, threads: { type: 'string' }, device: { type: 'string' }, only: { type: 'string' }, python: { type: 'string' },
      json: { type: 'boolean' }, child: { type: 'boolean' },
    },
  });
  const pick = <T extends string>(flag: string, v: string | undefined, allowed: readonly T[], fallback: T): T => {
    if (v === undefined) return fallback;
    if (!allowed.includes(v as T)) throw new UsageError(`bench pretrain: --${flag} must be one of ${allowed.join(', ')}, got ${v}\n\n${usage}`);
    return v as T;
  };
  const method = pick('method', values.method, PRETRAIN_METHODS, 'diffusion');
  const preset = pick('preset', values.preset, ['tiny', 'small'] as const, 'small');
  const device = pick('device', values.device, ['cpu', 'cuda'] as const, 'cpu');
  const only = values.only === undefined ? undefined : pick('only', values.only, ['anadiff', 'pytorch'] as const, 'anadiff');
  const patch = values.patch !== undefined ? parseTriple('patch', values.patch, true) : ([64, 64, 32] as const);
  const batch = positiveIntOption('batch', values.batch) ?? 2;
  const steps = positiveIntOption('steps', values.steps) ?? 8;
  const warmup = values.warmup === '0' ? 0 : positiveIntOption('warmup', values.warmup) ?? 2;
  const threads = positiveIntOption('threads', values.threads) ?? availableParallelism();
  const job = benchJob(method, preset, patch, batch);
  if (values.child) {
    console.log(JSON.stringify(await anadiffSide(job, { steps, warmup, threads, device })));
    return 0;
  }
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const common = ['--method', method, '--preset', preset, '--patch', patch.join('x'), '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads), '--device', device];
  const cli = resolve(process.argv[1] ?? '');
  const anadiff = only === 'pytorch' ? undefined : runTimedSide<Side>('bench pretrain', 'anadiff', process.execPath, [...process.execArgv, cli, 'bench', 'pretrain', ...common, '--child'], env);
  const pytorch = only === 'anadiff' ? undefined
    : runTimedSide<Side>('bench pretrain', 'pytorch', findPython('bench pretrain', 'torch', values.python), [peerScriptPath('anadiff_torch.py'), 'pretrain-bench',
      '--method', method, ...peerMethodArgs(job), '--patch', patch.join('x'), '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads), '--device', device], env);
  const ratio = anadiff && pytorch ? anadiff.median_ms / pytorch.median_ms : null;
  if (values.json) {
    const side = (r: Side | undefined): Record<string, unknown> | null => (r ? { ...r, median_ms: round(r.median_ms, 2), peak_rss_mb: round(r.peak_rss_mb) } : null);
    console.log(JSON.stringify({ method, preset, patch, batch, device, threads, anadiff: side(anadiff), pytorch: side(pytorch), ratio: ratio === null ? null : round(ratio, 3) }));
    return 0;
  }
  console.log(`bench pretrain: ${method}, ${preset} backbone, patch ${patch.join('x')}, batch ${batch}, ${device}, ${threads} threads, median of ${steps} after ${warmup} warmup`);
  const row = (name: string, r: Side | undefined): void => {
    if (!r) return;
    const extra = Object.entries(r).filter(([k]) => k !== 'median_ms' && k !== 'peak_rss_mb').map(([k, v]) => `${k}=${typeof v === 'number' ? round(v, 4) : String(v)}`).join(' ');
    console.log(`  ${name.padEnd(8)} ${round(r.median_ms).toFixed(1).padStart(9)} ms/step   peak RSS ${round(r.peak_rss_mb).toFixed(0).padStart(6)} MB   ${extra}`);
  };
  row('anadiff', anadiff);
  row('pytorch', pytorch);
  if (ratio !== null) console.log(`  ratio (anadiff / pytorch): ${ratio.toFixed(3)}`);
  return 0;
}

export const benchPretrainCommand: CliCommand = {
  name: 'bench pretrain',
  summary: 'time a pretraining step (diffusion, guided, genesis, contrastive) against the same network and loss in PyTorch',
  usage,
  run,
};
