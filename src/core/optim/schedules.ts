/**
 * Learning-rate schedules as pure functions of the step (nanoGPT habit): no state, so resuming at step k needs nothing
 * but k. Steps are 0-based here: `lr(0)` is the rate of the first optimizer step.
 */

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

export interface WarmupCosine {
  readonly kind: 'warmup-cosine';
  readonly baseLr: number;
  /** Linear warmup from baseLr/warmupSteps (step 0) to baseLr (step warmupSteps-1). */
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr: number;
}

/** PyTorch OneCycleLR semantics (anneal_strategy 'cos', three_phase false). */
export interface OneCycle {
  readonly kind: 'one-cycle';
  readonly maxLr: number;
  readonly totalSteps: number;
  readonly pctStart: number; // default 0.3 in PyTorch
  readonly divFactor: number; // initial lr = maxLr / divFactor (25)
  readonly finalDivFactor: number; // final lr = initial lr / finalDivFactor (1e4)
}

export interface ConstantLr {
  readonly kind: 'constant';
  readonly lr: number;
}

export type Schedule = WarmupCosine | OneCycle | ConstantLr;

/** Cosine from `start` to `end` as `t` goes 0 -> 1 (PyTorch's _annealing_cos). */
function cosineAnneal(start: number, end: number, t: number): number {
  return end + ((start - end) / 2) * (1 + Math.cos(Math.PI * t));
}

function checkStep(step: number, total: number, what: string): void {
  if (!Number.isInteger(step) || step < 0) throw new ScheduleError(`${what}: step must be an integer >= 0, got ${step}`);
  if (!Number.isInteger(total) || total < 1) throw new ScheduleError(`${what}: totalSteps must be a positive integer, got ${total}`);
}

export function warmupCosineLr(s: WarmupCosine, step: number): number {
  checkStep(step, s.totalSteps, 'warmup-cosine');
  if (step < s.warmupSteps) return (s.baseLr * (step + 1)) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const t = Math.min(1, (step - s.warmupSteps) / span);
  return cosineAnneal(s.baseLr, s.minLr, t);
}

export function oneCycleLr(s: OneCycle, step: number): number {
  checkStep(step, s.totalSteps, 'one-cycle');
  if (step >= s.totalSteps) throw new ScheduleError(`one-cycle: step ${step} is past totalSteps ${s.totalSteps}`);
  const initial = s.maxLr / s.divFactor;
  const final = initial / s.finalDivFactor;
  const upEnd = s.pctStart * s.totalSteps - 1; // PyTorch's phase boundary, as a float
  if (step <= upEnd) return cosineAnneal(initial, s.maxLr, upEnd > 0 ? step / upEnd : 1);
  const downEnd = s.totalSteps - 1;
  return cosineAnneal(s.maxLr, final, (step - upEnd) / (downEnd - upEnd));
}

/** The learning rate of optimizer step `step` (0-based). */
export function learningRate(s: Schedule, step: number): number {
  switch (s.kind) {
    case 'warmup-cosine': return warmupCosineLr(s, step);
    case 'one-cycle': return oneCycleLr(s, step);
    case 'constant': return s.lr;
  }
}

export function oneCycle(maxLr: number, totalSteps: number, opts: Partial<Omit<OneCycle, 'kind' | 'maxLr' | 'totalSteps'>> = {}): OneCycle {
  return { kind: 'one-cycle', maxLr, totalSteps, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4, ...opts };
}
