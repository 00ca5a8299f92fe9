/**
 * Diffusion pretraining's step: one graph with the forward process, the denoiser, the loss, backward and the optimizer
 * update, in the StepGraph shape of the segmentation step (src/core/train/step.ts), so the same runtime trains it.
 *   x_t  = signal_scale * x0 + noise_scale * noise      (q-sample in the graph: the host draws t and noise)
 *   loss = mean (denoiser(x_t, temb) - noise)^2         (epsilon prediction, MSE; Ho et al. 2020, L_simple)
 * Data inputs, for a batch of B patches of C channels and size [D, H, W]:
 *   x0 [B, C, D, H, W] in [-1, 1]; noise [B, C, D, H, W] ~ N(0, 1); signal_scale and noise_scale [B, 1, 1, 1, 1] =
 *   sqrt(abar_t) and sqrt(1 - abar_t); temb [B, timeChannels], the sinusoidal embedding of t.
 * `diffusionBatch` assembles them from patches in [0, 1] and the RNG, so t and the noise are reproducible per seed.
 */
import { gradients } from '../autodiff/index.js';
import { Graph, type Value } from '../graph/graph.js';
import { add, mseLoss, mul } from '../ops/index.js';
import { createNetContext, type ParamSpec } from '../nn/params.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { fillNormal, type Rng } from '../random/rng.js';
import { appendTrainUpdate, dataSpecs, TrainSpecError, type BuiltGraph, type TrainStepGraph } from '../train/step.js';
import { diffusionNet, diffusionSpatialMultiple, type DiffusionNetConfig } from './network.js';
import { drawTimesteps, type NoiseSchedule } from './schedule.js';
import { timestepEmbedding } from './timestep.js';

export interface DiffusionStepShape {
  readonly batch: number;
  /** D, H, W of every patch. */
  readonly spatial: readonly [number, number, number];
}

export interface DiffusionTrainSpec {
  readonly net: DiffusionNetConfig;
  readonly optimizer: OptimizerConfig;
  readonly shape: DiffusionStepShape;
}

/** Graph input names of the data a diffusion step reads. */
export const DIFFUSION_INPUTS = { x0: 'x0', noise: 'noise', signal: 'signal_scale', noiseScale: 'noise_scale', temb: 'temb' } as const;

function checkShape(net: DiffusionNetConfig, shape: DiffusionStepShape, what: string, conditionChannels: number): void {
  const m = diffusionSpatialMultiple(net);
  if (!Number.isInteger(shape.batch) || shape.batch < 1) throw new TrainSpecError(`${what}: batch must be a positive integer, got ${shape.batch}`);
  for (const s of shape.spatial) {
    if (!Number.isInteger(s) || s < m || s % m !== 0) throw new TrainSpecError(`${what}: patch size [${shape.spatial.join(', ')}] must be positive multiples of ${m}`);
  }
  if (net.inChannels !== net.outChannels + conditionChannels) {
    throw new TrainSpecError(`${what}: the network takes ${net.inChannels} channels but the noised image has ${net.outChannels} (epsilon's) and the condition ${conditionChannels}`);
  }
}

/**
 * The diffusion step's data inputs (DIFFUSION_INPUTS) and its forward process x_t = signal * x0 + noiseScale * noise,
 * in `g`, after checking the shape (`what` names the step in errors). Shared by the plain and the guided step. The
 * image has epsilon's channels (net.outChannels); a conditioned step's network takes `conditionChannels` more, which
 * the caller concatenates to x_t (they are not noised).
 */
export function diffusionForwardProcess(g: Graph, net: DiffusionNetConfig, shape: DiffusionStepShape, what = 'diffusion', conditionChannels = 0): { xt: Value; noise: Value; temb: Value } {
  checkShape(net, shape, what, conditionChannels);
  const { batch, spatial } = shape;
  const image = [batch, net.outChannels, ...spatial];
  const x0 = g.input(DIFFUSION_INPUTS.x0, 'float32', image, 'data');
  const noise = g.input(DIFFUSION_INPUTS.noise, 'float32', image, 'data');
  const signal = g.input(DIFFUSION_INPUTS.signal, 'float32', [batch, 1, 1, 1, 1], 'data');
  const noiseScale = g.input(DIFFUSION_INPUTS.noiseScale, 'float32', [batch, 1, 1, 1, 1], 'data');
  const temb = g.input(DIFFUSION_INPUTS.temb, 'float32', [batch, net.timeChannels], 'data');
  const xt = g.scope('q_sample', () => add(mul(x0, signal), mul(noise, noiseScale)));
  return { xt, noise, temb };
}

/** Forward process, denoiser and loss into `g`; returns the loss, predicted epsilon and the parameters. */
function forwardLoss(g: Graph, net: DiffusionNetConfig, shape: DiffusionStepShape): { loss: Value; eps: Value; params: ParamSpec[] } {
  const { xt, noise, temb } = diffusionForwardProcess(g, net, shape);
  const ctx = createNetContext(g);
  const { eps } = diffusionNet(ctx, xt, temb, net);
  const loss = g.scope('loss', () => mseLoss(eps, noise));
  return { loss, eps, params: ctx.params };
}

export function buildDiffusionTrainStep(spec: DiffusionTrainSpec): TrainStepGraph {
  const g = new Graph('diffusion_train_step');
  const { loss: l, params } = forwardLoss(g, spec.net, spec.shape);
  const loss = g.output(l, 'loss');
  return appendTrainUpdate(g, params, loss, spec.optimizer, 'diffusion');
}

/**
 * Forward + loss + backward, no update: outputs `eps` (the prediction), `loss` and `${param}.grad` for every
 * parameter. For the comparison with PyTorch and for evaluation (ignore the gradients).
 */
export function buildDiffusionGradientGraph(net: DiffusionNetConfig, shape: DiffusionStepShape): BuiltGraph & { gradOutputs: readonly string[] } {
  const g = new Graph('diffusion_gradients');
  const { loss: l, eps, params } = forwardLoss(g, net, shape);
  g.output(eps, 'eps');
  const loss = g.output(l, 'loss');
  const wrt = g.inputsByRole('param');
  const grads = gradients(loss, wrt).map((gr) => g.output(gr));
  return { graph: g, params, data: dataSpecs(g), gradOutputs: grads.map((v) => v.name) };
}

/** [0, 1] (the project's intensity scale) to DDPM's [-1, 1], in place. */
export function toDiffusionRange(x: Float32Array): Float32Array {
  for (let n = 0; n < x.length; n++) x[n] = 2 * x[n]! - 1;
  return x;
}

export interface DiffusionBatch {
  /** The graph's data feeds by input name. */
  readonly feeds: ReadonlyMap<string, Float32Array>;
  /** The timesteps drawn, per sample (for logs: loss by t). */
  readonly timesteps: Int32Array;
}

/**
 * The data feeds of one step for `x0` (B patches back to back, already in [-1, 1]): per sample a timestep uniform
 * below `tMax`, then the noise, both from `rng` in that order (timesteps first, so the noise of a bigger patch never
 * shifts which timesteps a seed gives).
 */
export function diffusionBatch(rng: Rng, schedule: NoiseSchedule, x0: Float32Array, batch: number, timeChannels: number, tMax?: number): DiffusionBatch {
  if (x0.length % batch !== 0) throw new TrainSpecError(`diffusionBatch: ${x0.length} values do not split into ${batch} samples`);
  const timesteps = drawTimesteps(rng, schedule, batch, tMax);
  const noise = new Float32Array(x0.length);
  fillNormal(rng, noise);
  const signal = new Float32Array(batch);
  const noiseScale = new Float32Array(batch);
  timesteps.forEach((t, b) => {
    const abar = schedule.alphaBars[t]!;
    signal[b] = Math.sqrt(abar);
    noiseScale[b] = Math.sqrt(1 - abar);
  });
  const feeds = new Map<string, Float32Array>([
    [DIFFUSION_INPUTS.x0, x0],
    [DIFFUSION_INPUTS.noise, noise],
    [DIFFUSION_INPUTS.signal, signal],
    [DIFFUSION_INPUTS.noiseScale, noiseScale],
    [DIFFUSION_INPUTS.temb, timestepEmbedding(timesteps, timeChannels)],
  ]);
  return { feeds, timesteps };
}
