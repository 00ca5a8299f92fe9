/**
 * Optimizers as graph: the update of every trainable parameter and its state is appended to the training-step graph.
 * Parameters and state are graph inputs; their updated values are outputs (`carried` pairs) that the trainer feeds back
 * next step. The learning rate and bias corrections are graph inputs (`hyper`), computed on the host in float64 by
 * `optimizerHyper`, so a schedule never changes the graph.
 */
import type { Graph, Value } from '../graph/graph.js';
import { add, div, mul, reduceSum, relu, scalar, sqrt, square, sub } from '../ops/index.js';
import { appendEma, checkEmaDecay, emaDecayAt } from './ema.js';

export interface AdamWConfig {
  readonly kind: 'adamw';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/** PyTorch SGD with momentum (dampening 0); weight decay is L2 added to the gradient, as in PyTorch. */
export interface SgdConfig {
  readonly kind: 'sgd';
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
}

/** Parameters whose name starts with `prefix`: frozen (not updated, no gradient computed) or with their own decay. */
export interface ParamGroup {
  readonly prefix: string;
  readonly frozen?: boolean;
  readonly weightDecay?: number;
}

export interface OptimizerConfig {
  readonly rule: AdamWConfig | SgdConfig;
  /** Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_), off when absent. */
  readonly maxGradNorm?: number;
  /** First matching prefix wins. */
  readonly groups?: readonly ParamGroup[];
  /** An EMA of the trainable weights with this decay (in (0, 1); ema.ts), carried as state; none when absent. */
  readonly ema?: number;
}

export class OptimizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptimizerError';
  }
}

export function adamw(opts: Partial<Omit<AdamWConfig, 'kind'>> = {}): AdamWConfig {
  return { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, ...opts };
}

export function sgd(opts: Partial<Omit<SgdConfig, 'kind'>> = {}): SgdConfig {
  return { kind: 'sgd', momentum: 0.9, weightDecay: 0, nesterov: false, ...opts };
}

/** A state tensor carried from step to step: feed `output` of step k as `input` of step k+1. */
export interface CarriedPair {
  readonly input: Value;
  readonly output: Value;
  readonly role: 'param' | 'state';
  /** State that starts as this parameter's initial value instead of zeros (the EMA of the weights). */
  readonly initFrom?: string;
}

/** Graph input names of the hyper-parameters. */
export const HYPER = { lr: 'optim.lr', bc1: 'optim.bias_correction1', bc2: 'optim.bias_correction2', emaDecay: 'optim.ema_decay' } as const;

/** The name of the updated value of input `name`. */
export function nextName(name: string): string {
  return `${name}.next`;
}

export function groupOf(cfg: OptimizerConfig, name: string): ParamGroup | undefined {
  return cfg.groups?.find((gr) => name.startsWith(gr.prefix));
}

export function isFrozen(cfg: OptimizerConfig, name: string): boolean {
  return groupOf(cfg, name)?.frozen === true;
}

/** Names of the optimizer state inputs of one parameter, in the order `initialOptimizerState` fills them. */
export function stateNames(cfg: OptimizerConfig, param: string): string[] {
  return cfg.rule.kind === 'adamw' ? [`adamw.m.${param}`, `adamw.v.${param}`] : cfg.rule.momentum > 0 ? [`sgd.momentum.${param}`] : [];
}

/** Host-side hyper inputs for optimizer step `step` (1-based, as PyTorch counts) at learning rate `lr`. */
export function optimizerHyper(cfg: OptimizerConfig, step: number, lr: number): Record<string, number> {
  if (!Number.isInteger(step) || step < 1) throw new OptimizerError(`optimizer step must be an integer >= 1, got ${step}`);
  const ema = cfg.ema !== undefined ? { [HYPER.emaDecay]: emaDecayAt(cfg.ema, step) } : {};
  if (cfg.rule.kind === 'sgd') return { [HYPER.lr]: lr, ...ema };
  return { [HYPER.lr]: lr, [HYPER.bc1]: 1 - cfg.rule.beta1 ** step, [HYPER.bc2]: 1 - cfg.rule.beta2 ** step, ...ema };
}

/**
 * Appends clipping and the update for `params` (trainable ones only) with gradients `grads` (same order), under the
 * scope `optim`, then the EMA of the updated weights when `cfg.ema` asks for it. Returns the carried pairs (each
 * param and its state) and the hyper inputs it created.
 */
export function appendOptimizer(
  g: Graph,
  params: readonly Value[],
  grads: readonly Value[],
  cfg: OptimizerConfig,
): { carried: CarriedPair[]; hyper: Value[]; gradNorm?: Value } {
  if (params.length !== grads.length) throw new OptimizerError(`${params.length} params but ${grads.length} gradients`);
  const lr = g.input(HYPER.lr, 'float32', [], 'hyper');
  const hyper = [lr];
  const clipped = cfg.maxGradNorm === undefined ? { grads, norm: undefined } : clipByGlobalNorm(g, grads, cfg.maxGradNorm);
  const carried: CarriedPair[] = [];
  const rule = cfg.rule;
  if (rule.kind === 'adamw') {
    const bc1 = g.input(HYPER.bc1, 'float32', [], 'hyper');
    const bc2 = g.input(HYPER.bc2, 'float32', [], 'hyper');
    hyper.push(bc1, bc2);
    g.scope('adamw', () => {
      // PyTorch: step_size = lr / bc1; denom = sqrt(v) / sqrt(bc2) + eps (both scalars, computed once per step).
      const stepSize = div(lr, bc1);
      const bc2Sqrt = sqrt(bc2);
      params.forEach((p, i) => {
        const gr = at(clipped.grads, i);
        const wd = groupOf(cfg, p.name)?.weightDecay ?? rule.weightDecay;
        const m = g.input(`adamw.m.${p.name}`, p.dtype, p.shape, 'state');
        const v = g.input(`adamw.v.${p.name}`, p.dtype, p.shape, 'state');
        const m1 = add(mul(m, scalar(g, rule.beta1)), mul(gr, scalar(g, 1 - rule.beta1)));
        const v1 = add(mul(v, scalar(g, rule.beta2)), mul(square(gr), scalar(g, 1 - rule.beta2)));
        const decayed = wd === 0 ? p : mul(p, sub(scalar(g, 1), mul(lr, scalar(g, wd))));
        const denom = add(div(sqrt(v1), bc2Sqrt), scalar(g, rule.eps));
        const p1 = sub(decayed, mul(stepSize, div(m1, denom)));
        carried.push(carry(g, p, p1, 'param'), carry(g, m, m1, 'state'), carry(g, v, v1, 'state'));
      });
    });
  } else {
    g.scope('sgd', () => {
      params.forEach((p, i) => {
        let gr = at(clipped.grads, i);
        const wd = groupOf(cfg, p.name)?.weightDecay ?? rule.weightDecay;
        if (wd !== 0) gr = add(gr, mul(p, scalar(g, wd)));
        let direction = gr;
        if (rule.momentum > 0) {
          // buf starts at zero, so the first update buf = momentum*0 + g equals PyTorch's buf = g (dampening 0).
          const buf = g.input(`sgd.momentum.${p.name}`, p.dtype, p.shape, 'state');
          const buf1 = add(mul(buf, scalar(g, rule.momentum)), gr);
          carried.push(carry(g, buf, buf1, 'state'));
          direction = rule.nesterov ? add(gr, mul(buf1, scalar(g, rule.momentum))) : buf1;
        }
        carried.push(carry(g, p, sub(p, mul(direction, lr)), 'param'));
      });
    });
  }
  if (cfg.ema !== undefined) {
    checkEmaDecay(cfg.ema);
    const decay = g.input(HYPER.emaDecay, 'float32', [], 'hyper');
    hyper.push(decay);
    const updated = carried.filter((c) => c.role === 'param').map((c) => ({ param: c.input, next: c.output }));
    for (const e of appendEma(g, updated, decay)) carried.push({ ...carry(g, e.input, e.next, 'state'), initFrom: e.param });
  }
  return clipped.norm ? { carried, hyper, gradNorm: clipped.norm } : { carried, hyper };
}

/**
 * torch.nn.utils.clip_grad_norm_: total = sqrt(sum g^2) over all gradients; scale by min(1, max / (total + 1e-6)).
 * The min is r - relu(r - 1) (no gradient flows through the optimizer, so relu's kink is harmless).
 */
export function clipByGlobalNorm(g: Graph, grads: readonly Value[], maxNorm: number): { grads: Value[]; norm: Value } {
  if (!(maxNorm > 0)) throw new OptimizerError(`maxGradNorm must be > 0, got ${maxNorm}`);
  return g.scope('clip', () => {
    let sumSq: Value | undefined;
    for (const gr of grads) {
      const s = reduceSum(square(gr), gr.shape.map((_, a) => a));
      sumSq = sumSq ? add(sumSq, s) : s;
    }
    if (!sumSq) return { grads: [], norm: scalar(g, 0) };
    const norm = sqrt(sumSq);
    const ratio = div(scalar(g, maxNorm), add(norm, scalar(g, 1e-6)));
    const coef = sub(ratio, relu(sub(ratio, scalar(g, 1))));
    return { grads: grads.map((gr) => mul(gr, coef)), norm };
  });
}

function carry(g: Graph, input: Value, updated: Value, role: 'param' | 'state'): CarriedPair {
  return { input, output: g.output(updated, nextName(input.name)), role };
}

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new OptimizerError(`missing entry ${i}`);
  return v;
}
