/**
 * The anadiff side of `bench train`, run in its own child process so its peak RSS is its own: builds the network's
 * training-step (or inference) graph, creates one onnxruntime session, and times `steps` runs after `warmup` runs,
 * feeding every carried output back as the next step's input exactly as the trainer does.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { LoweringChoices } from '../../core/lowering.js';
import { toOnnxModel } from '../../core/onnx/index.js';
import { createSession } from '../../node/engine/providers.js';
import { summariseProfile, tensorFor } from '../../node/nets/step-runner.js';
import { presetConfig, type SegmenterConfig } from '../../core/nn/networks.js';
import { initParams } from '../../core/nn/params.js';
import { adamw, optimizerHyper } from '../../core/optim/optimizer.js';
import { createRng, fillNormal } from '../../core/random/rng.js';
import { buildInferenceGraph, buildTrainStep, initialTrainState, type BuiltGraph, type TrainStepGraph } from '../../core/train/step.js';
import { CliError } from '../command.js';
import { median } from '../../node/bench/stats.js';

export interface BenchSideOptions {
  readonly net: 'unet' | 'fpn3d';
  readonly size: number;
  readonly channels: number;
  readonly levels?: number;
  readonly steps: number;
  readonly warmup: number;
  readonly threads: number;
  readonly device: 'cpu' | 'cuda';
  readonly infer: boolean;
  readonly lowering?: Partial<LoweringChoices>;
  /** Adds kernel time per op type (onnxruntime profiler, all runs) to the result. */
  readonly profile?: boolean;
  /** onnxruntime's CPU memory arena (off unless asked: see EngineSessionOptions.memArena). */
  readonly memArena?: boolean;
}

/** One side's result line (both children print this shape as one JSON line). */
export interface BenchSideResult {
  readonly median_ms: number;
  readonly peak_rss_mb: number;
  readonly [extra: string]: unknown;
}

export function benchNetConfig(o: Pick<BenchSideOptions, 'net' | 'channels' | 'levels'>): SegmenterConfig {
  return o.net === 'unet'
    ? presetConfig('unet', 'small', { channels: o.channels })
    : presetConfig('fpn3d', 'small', { channels: o.channels, ...(o.levels ? { levels: o.levels } : {}) });
}

/** Random image N(0,1) and labels (image > 0), like the PyTorch peer. */
function dataFeeds(built: BuiltGraph, seed: number): Record<string, ort.Tensor> {
  const rng = createRng(seed, 1);
  const feeds: Record<string, ort.Tensor> = {};
  let image: Float32Array | undefined;
  for (const d of built.data) {
    const n = d.shape.reduce((a, b) => a * b, 1);
    if (d.name === 'image') {
      image = new Float32Array(n);
      fillNormal(rng, image);
      feeds[d.name] = tensorFor(built.graph, d.name, image);
    } else if (d.name === 'labels' && image) {
      const src = image;
      feeds[d.name] = tensorFor(built.graph, d.name, BigInt64Array.from({ length: n }, (_, i) => (src[i]! > 0 ? 1n : 0n)));
    } else {
      throw new CliError(`bench train: no synthetic data for input ${d.name}`);
    }
  }
  return feeds;
}

/** Ends profiling and summarises the file onnxruntime wrote (then deletes it). */
function readProfile(session: ort.InferenceSession, runs: number): Record<string, number> {
  session.endProfiling();
  const prefix = `anadiff-bench-${process.pid}`;
  const file = readdirSync(tmpdir()).filter((f) => f.startsWith(prefix)).sort().pop();
  if (!file) throw new CliError('bench train: onnxruntime wrote no profile');
  const path = join(tmpdir(), file);
  const summary = summariseProfile(readFileSync(path, 'utf8'), runs);
  rmSync(path, { force: true });
  return Object.fromEntries(summary.slice(0, 12).map((r) => [r.op, Math.round(r.ms * 10) / 10]));
}

async function openSession(model: Uint8Array, o: BenchSideOptions): Promise<ort.InferenceSession> {
  try {
    return await createSession(model, { threads: o.threads, provider: o.device, memArena: o.memArena === true, ...(o.profile ? { profilePrefix: join(tmpdir(), `anadiff-bench-${process.pid}`) } : {}) });
  } catch (err) {
    // A benchmark must never silently measure the CPU when the GPU was asked for.
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new CliError(`bench train: no ${o.device} session (${why})${o.device === 'cuda' ? '; run `anadiff doctor`' : ''}`);
  }
}

/** The graph a bench side runs: the network's training step (AdamW, softmax CE) or its inference graph, serialised. */
export interface BenchStep {
  readonly built: BuiltGraph | TrainStepGraph;
  readonly model: Uint8Array;
  readonly optimizer: { readonly rule: ReturnType<typeof adamw> };
  readonly buildMs: number;
}

export function buildBenchStep(o: Pick<BenchSideOptions, 'net' | 'size' | 'channels' | 'levels' | 'infer' | 'lowering'>): BenchStep {
  const net = benchNetConfig(o);
  const shape = { batch: 1, spatial: [o.size, o.size, o.size] as const };
  const t0 = performance.now();
  const optimizer = { rule: adamw({ weightDecay: 1e-2 }) };
  const built = o.infer ? buildInferenceGraph(net, shape, 'none') : buildTrainStep({ net, loss: { kind: 'softmax-ce' }, optimizer, shape });
  const model = toOnnxModel(built.graph, o.lowering ? { lowering: o.lowering } : {});
  return { built, model, optimizer, buildMs: performance.now() - t0 };
}

/** Bytes of the tensors fed back every step (parameters and optimizer state): what a CUDA step copies each way. */
export function carriedBytes(built: BuiltGraph | TrainStepGraph): number {
  if (!('carried' in built)) return 0;
  const carried = new Set(built.carried.map((c) => c.input));
  return built.graph.inputs.map((i) => i.value).filter((v) => carried.has(v.name))
    .reduce((n, v) => n + v.shape.reduce((a, b) => a * b, 1) * (v.dtype === 'float64' || v.dtype === 'int64' ? 8 : v.dtype === 'float16' ? 2 : v.dtype === 'bool' || v.dtype === 'uint8' ? 1 : 4), 0);
}

/**
 * Runs `warmup + steps` steps on `session` and returns the timed steps' wall times (ms) and the last loss. Every
 * carried output becomes the next step's input as the same ORT tensor, as in the trainer.
 */
export async function timeBenchSteps(session: ort.InferenceSession, step: BenchStep, warmup: number, steps: number): Promise<{ times: number[]; loss: number }> {
  const { built, optimizer } = step;
  const feeds = dataFeeds(built, 0);
  const state = 'carried' in built ? initialTrainState(built, createRng(0, 0)) : initParams(built.params, createRng(0, 0));
  for (const [name, data] of state) feeds[name] = tensorFor(built.graph, name, data);
  const times: number[] = [];
  let loss = NaN;
  for (let i = 1; i <= warmup + steps; i++) {
    if ('carried' in built) {
      for (const [name, value] of Object.entries(optimizerHyper(optimizer, i, 1e-3))) feeds[name] = new ort.Tensor('float32', Float32Array.of(value), []);
    }
    const start = performance.now();
    const out = await session.run(feeds);
    if ('carried' in built) {
      // Outputs become the next inputs without a copy, as in the trainer.
      for (const c of built.carried) {
        const next = out[c.output];
        if (!next) throw new CliError(`bench train: output ${c.output} missing`);
        feeds[c.input] = next;
      }
      loss = Number(out[built.lossOutput]?.data[0]);
    }
    const ms = performance.now() - start;
    if (i > warmup) times.push(ms);
  }
  return { times, loss };
}

export async function runAnadiffSide(o: BenchSideOptions): Promise<BenchSideResult> {
  const t0 = performance.now();
  const step = buildBenchStep(o);
  const { built, buildMs } = step;
  const session = await openSession(step.model, o);
  const sessionMs = performance.now() - t0 - buildMs;
  const { times, loss } = await timeBenchSteps(session, step, o.warmup, o.steps);
  const profile = o.profile ? readProfile(session, o.warmup + o.steps) : undefined;
  await session.release();
  return {
    ...(profile ? { profile } : {}),
    median_ms: median(times),
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    build_ms: Math.round(buildMs),
    session_ms: Math.round(sessionMs),
    nodes: built.graph.nodes.length,
    params: built.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
    loss,
    device: o.device,
    threads: o.threads,
  };
}
