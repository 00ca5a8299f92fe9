/**
 * Guided diffusion pretraining (issue 11, `pretrain --method guided --guidance aux`): the diffusion step
 * (train-step.ts) plus an auxiliary head that regresses body-part coordinates from the backbone's features of x_t.
 *   x_t        = signal_scale * x0 + noise_scale * noise
 *   eps, pyr   = denoiser(x_t, temb)                        (the diffusion network, unchanged)
 *   coords_hat = aux(pyr)                                   (APE's head: a 1x1 conv per level to 3 channels, summed
 *                                                             top-down: linearHead, `aux.*`; read at full resolution)
 *   loss       = mean (eps - noise)^2 + w * mean over mask of (coords_hat - coords)^2
 * The coordinate MSE averages over the 3 channels of the masked voxels (body voxels; an all-ones mask gives every
 * voxel). The backbone stays image-only, so its export (FiLM folded at t = 0, [-1, 1] folded into the stem) is the
 * diffusion method's. The aux head sees x_t at every t: at large t it must rely on what the backbone can still infer,
 * which is the guidance this method adds to plain denoising. Extra data inputs, for B patches of [D, H, W]:
 *   coords [B, 3, D, H, W] standardised (standardiseCoords); coord_mask [B, 1, D, H, W] in {0, 1}.
 */
import { Graph, type Value } from '../graph/graph.js';
import { add, mseLoss, mul } from '../ops/index.js';
import { gradients } from '../autodiff/index.js';
import { linearHead } from '../nn/heads.js';
import { createNetContext, type ParamSpec } from '../nn/params.js';
import type { OptimizerConfig } from '../optim/optimizer.js';
import { appendTrainUpdate, dataSpecs, TrainSpecError, type BuiltGraph, type TrainStepGraph } from '../train/step.js';
import { diffusionNet, type DiffusionNetConfig } from './network.js';
import { diffusionForwardProcess, type DiffusionStepShape } from './train-step.js';

/** The extra data inputs of a guided step. */
export const GUIDED_INPUTS = { coords: 'coords', mask: 'coord_mask' } as const;
/** Named outputs besides `loss` (both computed before the update, on the step's batch). */
export const GUIDED_OUTPUTS = { epsLoss: 'eps_loss', coordLoss: 'coord_loss' } as const;

export interface GuidedTrainSpec {
  readonly net: DiffusionNetConfig;
  readonly optimizer: OptimizerConfig;
  readonly shape: DiffusionStepShape;
  /** w in loss = eps MSE + w * coordinate MSE (>= 0). */
  readonly guidanceWeight: number;
}

/**
 * Standardisation of coordinate maps for the loss: millimetres minus the body's centre (the mean over body voxels of
 * the case, per axis), divided by COORD_SCALE_MM. A fixed scale rather than each case's sd keeps distances comparable
 * across cases (a bigger body gets bigger values), and makes w mean the same in every run: at 100 mm an abdomen spans
 * about -2..2 per axis, so the coordinate MSE of a constant prediction is about 1, like the epsilon MSE's.
 */
export const COORD_SCALE_MM = 100;

/** `coords` (3 x voxels, channel-major, mm) standardised in place; `body` (1 = body) gives the centre, all voxels when it is empty. */
export function standardiseCoords(coords: Float32Array, body: Uint8Array): Float32Array {
  const n = body.length;
  if (coords.length !== 3 * n) throw new TrainSpecError(`standardiseCoords: ${coords.length} values for 3 x ${n} voxels`);
  let count = 0;
  for (let v = 0; v < n; v++) count += body[v] ? 1 : 0;
  for (let c = 0; c < 3; c++) {
    const channel = coords.subarray(c * n, (c + 1) * n);
    let sum = 0;
    for (let v = 0; v < n; v++) if (count === 0 || body[v]) sum += channel[v]!;
    const centre = sum / (count === 0 ? n : count);
    for (let v = 0; v < n; v++) channel[v] = (channel[v]! - centre) / COORD_SCALE_MM;
  }
  return coords;
}

interface GuidedForward {
  readonly loss: Value;
  readonly epsLoss: Value;
  readonly coordLoss: Value;
  readonly eps: Value;
  readonly coords: Value;
  readonly params: ParamSpec[];
}

function forwardLoss(g: Graph, spec: Omit<GuidedTrainSpec, 'optimizer'>): GuidedForward {
  const { net, shape, guidanceWeight } = spec;
  if (!(guidanceWeight >= 0) || !Number.isFinite(guidanceWeight)) throw new TrainSpecError(`guided: the guidance weight must be a finite number >= 0, got ${guidanceWeight}`);
  const { xt, noise, temb } = diffusionForwardProcess(g, net, shape, 'guided');
  const ctx = createNetContext(g);
  const { batch, spatial } = shape;
  const target = g.input(GUIDED_INPUTS.coords, 'float32', [batch, 3, ...spatial], 'data');
  const mask = g.input(GUIDED_INPUTS.mask, 'float32', [batch, 1, ...spatial], 'data');
  const { eps, pyramid } = diffusionNet(ctx, xt, temb, net);
  const coords = g.scope('aux', () => linearHead(ctx, pyramid, 3));
  const epsLoss = g.scope('loss', () => mseLoss(eps, noise));
  const coordLoss = g.scope('coord_loss', () => mseLoss(coords, target, mask));
  const loss = g.scope('guided_loss', () => add(epsLoss, mul(coordLoss, guidanceWeight)));
  return { loss, epsLoss, coordLoss, eps, coords, params: ctx.params };
}

export function buildGuidedTrainStep(spec: GuidedTrainSpec): TrainStepGraph {
  const g = new Graph('guided_diffusion_train_step');
  const f = forwardLoss(g, spec);
  g.output(f.epsLoss, GUIDED_OUTPUTS.epsLoss);
  g.output(f.coordLoss, GUIDED_OUTPUTS.coordLoss);
  const loss = g.output(f.loss, 'loss');
  const terms = { eps: GUIDED_OUTPUTS.epsLoss, coords: GUIDED_OUTPUTS.coordLoss };
  return { ...appendTrainUpdate(g, f.params, loss, spec.optimizer, 'guided diffusion'), termOutputs: terms };
}

/**
 * Forward + loss (+ gradients): outputs `eps`, `coords` (the aux head's prediction), `eps_loss`, `coord_loss`, `loss`
 * and `${param}.grad`. For checks and evaluation.
 */
export function buildGuidedGradientGraph(spec: Omit<GuidedTrainSpec, 'optimizer'>): BuiltGraph & { gradOutputs: readonly string[] } {
  const g = new Graph('guided_diffusion_gradients');
  const f = forwardLoss(g, spec);
  g.output(f.eps, 'eps');
  g.output(f.coords, 'coords_pred');
  g.output(f.epsLoss, GUIDED_OUTPUTS.epsLoss);
  g.output(f.coordLoss, GUIDED_OUTPUTS.coordLoss);
  const loss = g.output(f.loss, 'loss');
  const grads = gradients(loss, g.inputsByRole('param')).map((gr) => g.output(gr));
  return { graph: g, params: f.params, data: dataSpecs(g), gradOutputs: grads.map((v) => v.name) };
}
