/**
 * Guided diffusion pretraining (issue 11, `pretrain --method guided --guidance aux|cond|both`): the diffusion step
 * (train-step.ts) guided by body-part coordinates, in one of the three ways method.md compares.
 *   aux   an auxiliary head regresses the coordinates from the backbone's features of x_t:
 *           eps, pyr   = denoiser(x_t, temb)                 (the diffusion network, unchanged)
 *           coords_hat = aux(pyr)                            (APE's head: a 1x1 conv per level to 3 channels, summed
 *                                                              top-down: linearHead, `aux.*`; read at full resolution)
 *           loss       = mean (eps - noise)^2 + w * mean over mask of (coords_hat - coords)^2
 *   cond  the coordinates are a condition: 3 more input channels of the denoiser, concatenated to x_t (not noised):
 *           eps, pyr   = denoiser([x_t, keep * coords], temb)
 *           loss       = mean (eps - noise)^2
 *         keep [B, 1, 1, 1, 1] is condition dropout (drawConditionKeep): a dropped sample sees the null condition,
 *         zeros, so the backbone also learns to work on the image alone, which is how probing reads it. Zero is the
 *         body centre's standardised value, but a constant map never occurs in a real patch (coordinates change from
 *         voxel to voxel), so the network can tell the null condition apart; and zeros make its export exact.
 *   both  cond's input and aux's head and loss (the head regresses the coordinates, never dropped, from its features:
 *         where they were kept the backbone can pass them through, so the pressure to infer them from the image
 *         likely comes mostly from the dropped samples; untested).
 * The coordinate MSE averages over the 3 channels of the masked voxels (body voxels; an all-ones mask gives every
 * voxel). aux keeps the backbone image-only, so its export (FiLM folded at t = 0, [-1, 1] folded into the stem) is the
 * diffusion method's; cond and both export the backbone at the null condition (foldNullCondition). The aux head sees
 * x_t at every t: at large t it must rely on what the backbone can still infer, which is the guidance it adds to plain
 * denoising. Extra data inputs, for B patches of [D, H, W]:
 *   coords [B, 3, D, H, W] standardised (standardiseCoords); coord_mask [B, 1, D, H, W] in {0, 1} (aux and both);
 *   cond_keep [B, 1, 1, 1, 1] in {0, 1} (cond and both).
 */
import { Graph, type Value } from '../graph/graph.js';
import { add, concat, mseLoss, mul } from '../ops/index.js';
import { gradients } from '../autodiff/index.js';
import { linearHead } from '../nn/heads.js';
import { createNetContext, type ParamSpec } from '../nn/params.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { nextFloat, type Rng } from '../random/rng.js';
import { appendTrainUpdate, dataSpecs, TrainSpecError, type BuiltGraph, type TrainStepGraph } from '../train/step.js';
import { diffusionNet, type DiffusionNetConfig } from './network.js';
import { diffusionForwardProcess, type DiffusionStepShape } from './train-step.js';

/** How the coordinates guide the diffusion (see the header). */
export const GUIDANCE_MODES = ['aux', 'cond', 'both'] as const;
export type GuidanceMode = (typeof GUIDANCE_MODES)[number];

/** Channels of the coordinate maps (x, y, z): the aux head's outputs and the condition's extra input channels. */
export const COORD_CHANNELS = 3;

/** Condition dropout of cond and both: method.md's "about 0.1", classifier-free guidance's usual rate. */
export const CONDITION_DROPOUT = 0.1;

/** Whether a mode feeds the coordinates to the network as input channels (else the network is image-only). */
export const isConditioned = (mode: GuidanceMode): boolean => mode !== 'aux';
/** Whether a mode has the auxiliary coordinate head and its loss. */
export const hasAuxHead = (mode: GuidanceMode): boolean => mode !== 'cond';

/** The extra data inputs of a guided step (`mask`: aux and both; `keep`: cond and both). */
export const GUIDED_INPUTS = { coords: 'coords', mask: 'coord_mask', keep: 'cond_keep' } as const;
/** Named outputs besides `loss` (both computed before the update, on the step's batch; aux and both only). */
export const GUIDED_OUTPUTS = { epsLoss: 'eps_loss', coordLoss: 'coord_loss' } as const;

export interface GuidedTrainSpec {
  readonly net: DiffusionNetConfig;
  readonly optimizer: OptimizerConfig;
  readonly shape: DiffusionStepShape;
  /** Default aux. cond and both need net.inChannels = net.outChannels + COORD_CHANNELS. */
  readonly mode?: GuidanceMode;
  /** w in loss = eps MSE + w * coordinate MSE (>= 0): aux and both (cond has no coordinate loss). */
  readonly guidanceWeight?: number;
}

/**
 * Standardisation of coordinate maps for the loss: millimetres minus the body's centre (the mean over body voxels of
 * the case, per axis), divided by COORD_SCALE_MM. A fixed scale rather than each case's sd keeps distances comparable
 * across cases (a bigger body gets bigger values), and makes w mean the same in every run: at 100 mm an abdomen spans
 * about -2..2 per axis, so the coordinate MSE of a constant prediction is about 1, like the epsilon MSE's.
 */
export const COORD_SCALE_MM = 100;

/**
 * `coords` (3 x voxels, channel-major) standardised in place: minus the body's centre, divided by `scale` (mm for the
 * generator's coordinates; 1 for a coordinate model's, whose units are already distances on the scale of a crop's
 * spread, see docs/coords.md). `body` (1 = body) gives the centre, all voxels when it is empty.
 */
export function standardiseCoords(coords: Float32Array, body: Uint8Array, scale = COORD_SCALE_MM): Float32Array {
  const n = body.length;
  if (coords.length !== 3 * n) throw new TrainSpecError(`standardiseCoords: ${coords.length} values for 3 x ${n} voxels`);
  let count = 0;
  for (let v = 0; v < n; v++) count += body[v] ? 1 : 0;
  for (let c = 0; c < 3; c++) {
    const channel = coords.subarray(c * n, (c + 1) * n);
    let sum = 0;
    for (let v = 0; v < n; v++) if (count === 0 || body[v]) sum += channel[v]!;
    const centre = sum / (count === 0 ? n : count);
    for (let v = 0; v < n; v++) channel[v] = (channel[v]! - centre) / scale;
  }
  return coords;
}

/**
 * Condition dropout for one step: per sample 1 (keep the coordinates) or, with probability `dropout`, 0 (the null
 * condition); one nextFloat per sample from the run's RNG, so a seed fixes which samples drop and a resumed run
 * (which restores the RNG) drops the same ones.
 */
export function drawConditionKeep(rng: Rng, batch: number, dropout: number): Float32Array {
  if (!(dropout >= 0 && dropout <= 1)) throw new TrainSpecError(`condition dropout must be in [0, 1], got ${dropout}`);
  const keep = new Float32Array(batch);
  for (let b = 0; b < batch; b++) keep[b] = nextFloat(rng) < dropout ? 0 : 1;
  return keep;
}

interface GuidedForward {
  readonly loss: Value;
  readonly eps: Value;
  readonly params: ParamSpec[];
  /** aux and both. */
  readonly aux?: { readonly epsLoss: Value; readonly coordLoss: Value; readonly coords: Value };
}

/** w for the modes with a coordinate loss, refused for cond (it would weigh nothing). */
function checkedWeight(mode: GuidanceMode, weight: number | undefined): number {
  if (!hasAuxHead(mode)) {
    if (weight !== undefined) throw new TrainSpecError(`guided: cond has no coordinate loss to weigh, got guidance weight ${weight}`);
    return 0;
  }
  if (weight === undefined || !(weight >= 0) || !Number.isFinite(weight)) throw new TrainSpecError(`guided: the guidance weight must be a finite number >= 0, got ${weight}`);
  return weight;
}

function forwardLoss(g: Graph, spec: Omit<GuidedTrainSpec, 'optimizer'>): GuidedForward {
  const { net, shape } = spec;
  const mode = spec.mode ?? 'aux';
  const weight = checkedWeight(mode, spec.guidanceWeight);
  const { xt, noise, temb } = diffusionForwardProcess(g, net, shape, 'guided', isConditioned(mode) ? COORD_CHANNELS : 0);
  const ctx = createNetContext(g);
  const { batch, spatial } = shape;
  const target = g.input(GUIDED_INPUTS.coords, 'float32', [batch, COORD_CHANNELS, ...spatial], 'data');
  const mask = hasAuxHead(mode) ? g.input(GUIDED_INPUTS.mask, 'float32', [batch, 1, ...spatial], 'data') : undefined;
  const keep = isConditioned(mode) ? g.input(GUIDED_INPUTS.keep, 'float32', [batch, 1, 1, 1, 1], 'data') : undefined;
  const input = keep ? g.scope('condition', () => concat([xt, mul(target, keep)], 1)) : xt;
  const { eps, pyramid } = diffusionNet(ctx, input, temb, net);
  // aux's graph is built in the order it had before cond existed, so its hash and its runs are unchanged.
  const coords = mask ? g.scope('aux', () => linearHead(ctx, pyramid, COORD_CHANNELS)) : undefined;
  const epsLoss = g.scope('loss', () => mseLoss(eps, noise));
  if (!mask || !coords) return { loss: epsLoss, eps, params: ctx.params };
  const coordLoss = g.scope('coord_loss', () => mseLoss(coords, target, mask));
  const loss = g.scope('guided_loss', () => add(epsLoss, mul(coordLoss, weight)));
  return { loss, eps, params: ctx.params, aux: { epsLoss, coordLoss, coords } };
}

export function buildGuidedTrainStep(spec: GuidedTrainSpec): TrainStepGraph {
  const g = new Graph('guided_diffusion_train_step');
  const f = forwardLoss(g, spec);
  outputAux(g, f);
  const loss = g.output(f.loss, 'loss');
  const step = appendTrainUpdate(g, f.params, loss, spec.optimizer, 'guided diffusion');
  // cond has one term (its loss is the eps MSE): only the modes with the coordinate head name their terms.
  return f.aux ? { ...step, termOutputs: { eps: GUIDED_OUTPUTS.epsLoss, coords: GUIDED_OUTPUTS.coordLoss } } : step;
}

/** The aux head's named losses (GUIDED_OUTPUTS), where the mode has the head. */
function outputAux(g: Graph, f: GuidedForward): void {
  if (!f.aux) return;
  g.output(f.aux.epsLoss, GUIDED_OUTPUTS.epsLoss);
  g.output(f.aux.coordLoss, GUIDED_OUTPUTS.coordLoss);
}

/**
 * Forward + loss (+ gradients): outputs `eps`, `loss`, `${param}.grad` and, with the aux head, `coords_pred` (its
 * prediction), `eps_loss` and `coord_loss`. For checks and evaluation.
 */
export function buildGuidedGradientGraph(spec: Omit<GuidedTrainSpec, 'optimizer'>): BuiltGraph & { gradOutputs: readonly string[] } {
  const g = new Graph('guided_diffusion_gradients');
  const f = forwardLoss(g, spec);
  g.output(f.eps, 'eps');
  if (f.aux) g.output(f.aux.coords, 'coords_pred');
  outputAux(g, f);
  const loss = g.output(f.loss, 'loss');
  const grads = gradients(loss, g.inputsByRole('param')).map((gr) => g.output(gr));
  return { graph: g, params: f.params, data: dataSpecs(g), gradOutputs: grads.map((v) => v.name) };
}
