/**
 * Assembles the graphs a training run needs from a network, a loss and an optimizer config:
 *   train step   forward + loss + backward + optimizer update (params and state in, updated values out)
 *   grad step    forward + loss + backward, gradients added into accumulators (gradient accumulation)
 *   apply step   optimizer update from accumulated gradients
 *   eval         forward + loss, no backward
 *   inference    forward + softmax or sigmoid
 * Every graph built from the same network config has the same parameter names, so the runtime moves tensors between
 * them by name.
 */
import { gradients } from '../autodiff/index.js';
import { Graph, type Value } from '../graph/graph.js';
import type { DType, Shape } from '../graph/types.js';
import { add, mul, scalar, sigmoid, softmax } from '../ops/index.js';
import { createNetContext, initParams, type ParamSpec } from '../nn/params.js';
import { checkSegmenterConfig, segmenter, spatialMultiple, type SegmenterConfig } from '../nn/networks.js';
import { appendOptimizer, isFrozen, nextName, type CarriedPair, type OptimizerConfig } from '../optim/optimizer.js';
import type { Rng } from '../random/rng.js';
import { appendLoss, type DataInputSpec, type LossConfig } from './loss.js';

export interface BatchShape {
  readonly batch: number;
  /** D, H, W of the image patch. */
  readonly spatial: readonly [number, number, number];
}

export interface TrainSpec {
  readonly net: SegmenterConfig;
  readonly loss: LossConfig;
  readonly optimizer: OptimizerConfig;
  readonly shape: BatchShape;
}

/** An input carried from one run to the next: feed output `output` of run k as input `input` of run k+1. */
export interface CarriedNames {
  readonly input: string;
  readonly output: string;
  readonly role: 'param' | 'state';
  /** State that starts as this parameter's initial value instead of zeros (the EMA of the weights). */
  readonly initFrom?: string;
}

export interface BuiltGraph {
  readonly graph: Graph;
  /** Every parameter of the network, in creation order (initialisers included). */
  readonly params: readonly ParamSpec[];
  /** Data inputs: `image` first, then what the loss needs. */
  readonly data: readonly DataInputSpec[];
}

/** A graph run once per step whose carried outputs feed the next run (train, grad or apply step). */
export interface StepGraph extends BuiltGraph {
  readonly trainable: readonly string[];
  readonly carried: readonly CarriedNames[];
  readonly hyper: readonly string[];
  /** Absent for the apply step, which sees no data. */
  readonly lossOutput?: string;
  /** Present when gradient clipping is on: the global gradient norm before clipping. */
  readonly gradNormOutput?: string;
}

export interface TrainStepGraph extends StepGraph {
  readonly lossOutput: string;
  /** Terms of the loss by name (graph outputs of the step's batch, before the update), logged beside the total. */
  readonly termOutputs?: Readonly<Record<string, string>>;
}

export class TrainSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainSpecError';
  }
}

function checkShape(net: SegmenterConfig, shape: BatchShape): void {
  checkSegmenterConfig(net);
  const m = spatialMultiple(net);
  if (!Number.isInteger(shape.batch) || shape.batch < 1) throw new TrainSpecError(`batch must be a positive integer, got ${shape.batch}`);
  for (const s of shape.spatial) {
    if (!Number.isInteger(s) || s < m || s % m !== 0) {
      throw new TrainSpecError(`${net.net}: spatial size [${shape.spatial.join(', ')}] must be positive multiples of ${m}`);
    }
  }
}

function imageShape(net: SegmenterConfig, shape: BatchShape): Shape {
  return [shape.batch, net.inChannels, ...shape.spatial];
}

/** The forward pass into a fresh graph: the image input, the logits and the parameters. */
function forward(name: string, net: SegmenterConfig, shape: BatchShape, dtype: DType = 'float32'): { g: Graph; params: ParamSpec[]; image: Value; logits: Value } {
  checkShape(net, shape);
  const g = new Graph(name);
  const ctx = createNetContext(g);
  const image = g.input('image', dtype, imageShape(net, shape), 'data');
  const logits = segmenter(ctx, image, net);
  return { g, params: ctx.params, image, logits };
}

export function dataSpecs(g: Graph): DataInputSpec[] {
  return g.inputsByRole('data').map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
}

function paramValues(g: Graph): Map<string, Value> {
  return new Map(g.inputsByRole('param').map((v) => [v.name, v]));
}

function trainableOf(g: Graph, params: readonly ParamSpec[], opt: OptimizerConfig, what = ''): Value[] {
  const byName = paramValues(g);
  const out = params.filter((p) => !isFrozen(opt, p.name)).map((p) => byName.get(p.name)).filter((v): v is Value => v !== undefined);
  if (out.length === 0) throw new TrainSpecError(`${what ? `${what}: ` : ''}every parameter is frozen: nothing to train`);
  return out;
}

/**
 * The update half of every training step (segmentation, coordinates, diffusion): gradients of `loss` for the
 * parameters the optimizer does not freeze, the optimizer appended, and the step's interface named.
 */
export function appendTrainUpdate(g: Graph, params: readonly ParamSpec[], loss: Value, optimizer: OptimizerConfig, what = ''): TrainStepGraph {
  const trainable = trainableOf(g, params, optimizer, what);
  const opt = appendOptimizer(g, trainable, gradients(loss, trainable), optimizer);
  const base = {
    graph: g,
    params,
    data: dataSpecs(g),
    trainable: trainable.map((v) => v.name),
    carried: opt.carried.map(carriedNamesOf),
    hyper: opt.hyper.map((v) => v.name),
    lossOutput: loss.name,
  };
  return opt.gradNorm ? { ...base, gradNormOutput: g.output(opt.gradNorm, 'optim.grad_norm').name } : base;
}

function carriedNamesOf(c: CarriedPair): CarriedNames {
  const names = { input: c.input.name, output: c.output.name, role: c.role };
  return c.initFrom !== undefined ? { ...names, initFrom: c.initFrom } : names;
}

/** Forward + loss + backward + optimizer update, one graph, one session run per step. */
export function buildTrainStep(spec: TrainSpec): TrainStepGraph {
  const { g, params, logits } = forward('train_step', spec.net, spec.shape);
  const loss = g.output(appendLoss(g, logits, spec.loss), 'loss');
  return appendTrainUpdate(g, params, loss, spec.optimizer);
}

/** Accumulator input of a parameter's gradient (gradient accumulation over micro-batches). */
export function accumulatorName(param: string): string {
  return `accum.${param}`;
}

/**
 * Forward + loss + backward for one micro-batch: `accum.<p>.next = accum.<p> + grad(p)`. Run it K times, then the
 * apply step once; the host zeroes the accumulators after each apply.
 */
export function buildGradStep(spec: TrainSpec): TrainStepGraph {
  const { g, params, logits } = forward('grad_step', spec.net, spec.shape);
  const loss = g.output(appendLoss(g, logits, spec.loss), 'loss');
  const trainable = trainableOf(g, params, spec.optimizer);
  const grads = gradients(loss, trainable);
  const carried = trainable.map((p, i) => {
    const acc = g.input(accumulatorName(p.name), p.dtype, p.shape, 'state');
    const grad = grads[i];
    if (!grad) throw new TrainSpecError(`no gradient for ${p.name}`);
    const next = g.output(g.scope('accum', () => add(acc, grad)), nextName(acc.name));
    return { input: acc.name, output: next.name, role: 'state' as const };
  });
  return { graph: g, params, data: dataSpecs(g), trainable: trainable.map((v) => v.name), carried, hyper: [], lossOutput: loss.name };
}

/** The optimizer update from gradients accumulated over `microBatches` runs of the grad step (their mean). */
export function buildApplyStep(spec: TrainSpec, microBatches: number): StepGraph {
  if (!Number.isInteger(microBatches) || microBatches < 1) throw new TrainSpecError(`microBatches must be a positive integer, got ${microBatches}`);
  checkShape(spec.net, spec.shape);
  const g = new Graph('apply_step');
  // Build the network into a scratch graph only to learn the parameter names and shapes.
  const probe = new Graph('probe');
  const probeCtx = createNetContext(probe);
  segmenter(probeCtx, probe.input('image', 'float32', imageShape(spec.net, spec.shape), 'data'), spec.net);
  const params = probeCtx.params;
  const trainableSpecs = params.filter((p) => !isFrozen(spec.optimizer, p.name));
  const trainable = trainableSpecs.map((p) => g.input(p.name, 'float32', p.shape, 'param'));
  const grads = trainable.map((p) => {
    const acc = g.input(accumulatorName(p.name), p.dtype, p.shape, 'state');
    return g.scope('accum', () => mul(acc, scalar(g, 1 / microBatches)));
  });
  const opt = appendOptimizer(g, trainable, grads, spec.optimizer);
  const base = {
    graph: g,
    params,
    data: [],
    trainable: trainable.map((v) => v.name),
    carried: opt.carried.map(carriedNamesOf),
    hyper: opt.hyper.map((v) => v.name),
  };
  return opt.gradNorm ? { ...base, gradNormOutput: g.output(opt.gradNorm, 'optim.grad_norm').name } : base;
}

/**
 * Forward + loss + backward, no update: outputs `logits`, `loss` and `${param}.grad` for every parameter. For
 * gradient checks and the comparison with PyTorch.
 */
export function buildGradientGraph(net: SegmenterConfig, loss: LossConfig, shape: BatchShape): BuiltGraph & { gradOutputs: readonly string[] } {
  const { g, params, logits } = forward('gradients', net, shape);
  g.output(logits, 'logits');
  const l = g.output(appendLoss(g, logits, loss), 'loss');
  const wrt = [...paramValues(g).values()];
  const grads = gradients(l, wrt).map((gr, i) => {
    const name = `${wrt[i]!.name}.grad`;
    return g.output(gr, gr.name === name ? undefined : name);
  });
  return { graph: g, params, data: dataSpecs(g), gradOutputs: grads.map((v) => v.name) };
}

/** Forward + loss (no backward): outputs `loss` and `logits`. */
export function buildEvalGraph(net: SegmenterConfig, loss: LossConfig, shape: BatchShape): BuiltGraph & { lossOutput: string; logitsOutput: string } {
  const { g, params, logits } = forward('eval', net, shape);
  g.output(logits, 'logits');
  const l = g.output(appendLoss(g, logits, loss), 'loss');
  return { graph: g, params, data: dataSpecs(g), lossOutput: l.name, logitsOutput: 'logits' };
}

/** Forward + class probabilities (`softmax` over channels, or `sigmoid` per channel), output `probs`. */
export function buildInferenceGraph(net: SegmenterConfig, shape: BatchShape, activation: 'softmax' | 'sigmoid' | 'none' = 'softmax'): BuiltGraph & { output: string } {
  const { g, params, logits } = forward('inference', net, shape);
  const probs = activation === 'softmax' ? g.scope('probs', () => softmax(logits, 1)) : activation === 'sigmoid' ? g.scope('probs', () => sigmoid(logits)) : logits;
  const out = g.output(probs, activation === 'none' ? 'logits' : 'probs');
  return { graph: g, params, data: dataSpecs(g), output: out.name };
}

/**
 * Initial values of every input a train step carries: parameters from `rng` (PyTorch's default init), optimizer
 * state and accumulators zero, an EMA of the weights equal to them. Frozen parameters are included (they are inputs too).
 */
export function initialTrainState(step: StepGraph, rng: Rng): Map<string, Float32Array> {
  const out = initParams(step.params, rng);
  for (const c of step.carried) {
    if (c.role !== 'state' || out.has(c.input)) continue;
    if (c.initFrom !== undefined) {
      const from = out.get(c.initFrom);
      if (!from) throw new TrainSpecError(`carried input ${c.input} starts from ${c.initFrom}, which is not a parameter`);
      out.set(c.input, Float32Array.from(from));
      continue;
    }
    const v = step.graph.inputs.find((i) => i.value.name === c.input)?.value;
    if (!v) throw new TrainSpecError(`carried input ${c.input} is not a graph input`);
    out.set(c.input, new Float32Array(v.shape.reduce((a, b) => a * b, 1)));
  }
  return out;
}
