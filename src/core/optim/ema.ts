/**
 * Exponential moving average of the trainable weights (`anadiff pretrain --ema D`, issue 11), appended to the step
 * graph right after the optimizer update:
 *   ema.<p>.next = d_t * ema.<p> + (1 - d_t) * p.next          (p.next: the weight this step's update wrote)
 * It lives in the graph rather than in TypeScript because there it costs two multiplies and an add per weight inside
 * the step's own session run (no copy of every weight to the host and back each step), and `ema.<p>` is carried
 * state like Adam's moments: in every checkpoint, so a resumed run continues it bit for bit. It starts as the
 * weights' initial values (CarriedPair.initFrom), not zeros. d_t is a hyper input computed on the host (emaDecayAt).
 */
import type { Graph, Value } from '../graph/graph.js';
import { add, mul, scalar, sub } from '../ops/index.js';

/** Graph input names of the EMA copies: `ema.<param>`. */
export const EMA_PREFIX = 'ema.';

export function emaName(param: string): string {
  return `${EMA_PREFIX}${param}`;
}

/** Throws unless `decay` is a usable EMA decay: strictly between 0 (no averaging: off) and 1 (the EMA never moves). */
export function checkEmaDecay(decay: number): void {
  if (!(decay > 0 && decay < 1)) throw new RangeError(`EMA decay must be in (0, 1), got ${decay}`);
}

/**
 * The decay of optimizer step `step` (1-based) for a run asking `decay`: min(decay, (1 + step) / (10 + step)), the
 * warm-up of diffusers' EMAModel. Without it a short run keeps a share decay^steps of the random initial weights
 * (0.999^1000 = 0.37: most of a 1000-step run's export would be noise); with it the early average follows the
 * weights and the cap is reached after about 9 / (1 - decay) steps (9,000 for 0.999).
 */
export function emaDecayAt(decay: number, step: number): number {
  checkEmaDecay(decay);
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`EMA step must be an integer >= 1, got ${step}`);
  return Math.min(decay, (1 + step) / (10 + step));
}

/**
 * The EMA of each updated weight, under the scope `ema`: for every `{ param, next }` (a parameter input and its
 * updated value) an input `ema.<param>` and its update, using `decay` (the scalar hyper input holding d_t).
 */
export function appendEma(g: Graph, updated: readonly { readonly param: Value; readonly next: Value }[], decay: Value): { input: Value; next: Value; param: string }[] {
  return g.scope('ema', () => {
    const keep = sub(scalar(g, 1), decay);
    return updated.map(({ param, next }) => {
      const ema = g.input(emaName(param.name), param.dtype, param.shape, 'state');
      return { input: ema, next: add(mul(ema, decay), mul(next, keep)), param: param.name };
    });
  });
}

/**
 * The weights a checkpoint's EMA stands for: every `ema.<p>` tensor under the name `<p>`, replacing the raw `<p>`;
 * tensors without an EMA (optimizer state, frozen weights) as they are. What an export reads instead of the raw ones;
 * tensors with no EMA at all throw rather than pass the raw weights off as averaged.
 */
export function averagedWeights<T>(tensors: ReadonlyMap<string, T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const [name, t] of tensors) if (!name.startsWith(EMA_PREFIX)) out.set(name, t);
  let averaged = 0;
  for (const [name, t] of tensors) {
    if (!name.startsWith(EMA_PREFIX)) continue;
    out.set(name.slice(EMA_PREFIX.length), t);
    averaged++;
  }
  if (averaged === 0) throw new Error(`no EMA weights (${EMA_PREFIX}*) among the ${tensors.size} tensors`);
  return out;
}
