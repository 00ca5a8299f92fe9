/**
 * The DDPM forward process (Ho et al. 2020) as plain data: a beta schedule, its cumulative product abar, and
 * q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) sampled as x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
 *
 * Timesteps are 0-based, t = 0..T-1, as in diffusers and MONAI: abar_0 = 1 - beta_0 (1 - 1e-4 for the linear
 * schedule), so t = 0 is already very slightly noised and t = T-1 is almost pure noise (abar about 4e-5).
 * Everything is float64 on the host; only x_t is float32. Issue 11 and ../shared/notes/pretraining.md fix the
 * defaults: T = 1000, linear beta 1e-4..0.02 (MONAI's scheduler defaults), cosine as an option.
 */
import { nextInt, type Rng } from '../random/rng.js';

export type BetaScheduleKind = 'linear' | 'cosine';

/** Plain JSON: it goes into run configs and checkpoint manifests. */
export interface NoiseScheduleConfig {
  readonly kind: BetaScheduleKind;
  /** T, the number of diffusion steps. */
  readonly steps: number;
  /** Linear schedule: beta_0 and beta_{T-1}. */
  readonly betaStart: number;
  readonly betaEnd: number;
  /** Cosine schedule: the offset s that keeps beta_0 from vanishing (Nichol & Dhariwal 2021: 0.008). */
  readonly cosineOffset: number;
  /** Cosine schedule: betas are clipped here so the last steps do not divide by ~0 (Nichol & Dhariwal: 0.999). */
  readonly maxBeta: number;
}

export interface NoiseSchedule {
  readonly config: NoiseScheduleConfig;
  readonly betas: Float64Array;
  /** abar_t = prod_{s <= t} (1 - beta_s). */
  readonly alphaBars: Float64Array;
}

export class ScheduleConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleConfigError';
  }
}

export const DEFAULT_NOISE_SCHEDULE: NoiseScheduleConfig = Object.freeze({
  kind: 'linear', steps: 1000, betaStart: 1e-4, betaEnd: 0.02, cosineOffset: 0.008, maxBeta: 0.999,
});

export function noiseScheduleConfig(overrides: Partial<NoiseScheduleConfig> = {}): NoiseScheduleConfig {
  const cfg = { ...DEFAULT_NOISE_SCHEDULE, ...overrides };
  if (cfg.kind !== 'linear' && cfg.kind !== 'cosine') throw new ScheduleConfigError(`noise schedule: kind must be linear or cosine, got ${String(cfg.kind)}`);
  if (!Number.isInteger(cfg.steps) || cfg.steps < 2) throw new ScheduleConfigError(`noise schedule: steps must be an integer >= 2, got ${cfg.steps}`);
  if (!(cfg.betaStart > 0 && cfg.betaStart <= cfg.betaEnd && cfg.betaEnd < 1)) {
    throw new ScheduleConfigError(`noise schedule: need 0 < betaStart <= betaEnd < 1, got ${cfg.betaStart}..${cfg.betaEnd}`);
  }
  if (!(cfg.cosineOffset >= 0)) throw new ScheduleConfigError(`noise schedule: cosineOffset must be >= 0, got ${cfg.cosineOffset}`);
  if (!(cfg.maxBeta > 0 && cfg.maxBeta < 1)) throw new ScheduleConfigError(`noise schedule: maxBeta must lie in (0, 1), got ${cfg.maxBeta}`);
  return Object.freeze(cfg);
}

/** The betas and abar of `cfg` (defaults: T = 1000, linear 1e-4..0.02). */
export function noiseSchedule(cfg: NoiseScheduleConfig = DEFAULT_NOISE_SCHEDULE): NoiseSchedule {
  const c = noiseScheduleConfig(cfg);
  const T = c.steps;
  const betas = new Float64Array(T);
  if (c.kind === 'linear') {
    // torch.linspace(betaStart, betaEnd, T): both end points included.
    for (let t = 0; t < T; t++) betas[t] = c.betaStart + ((c.betaEnd - c.betaStart) * t) / (T - 1);
  } else {
    // Nichol & Dhariwal eq. 17: abar(t) = f(t) / f(0), f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2);
    // beta_t = 1 - abar(t + 1) / abar(t), clipped at maxBeta (diffusers' betas_for_alpha_bar, MONAI's cosine_beta).
    const f = (t: number): number => Math.cos((((t / T) + c.cosineOffset) / (1 + c.cosineOffset)) * (Math.PI / 2)) ** 2;
    for (let t = 0; t < T; t++) betas[t] = Math.min(1 - f(t + 1) / f(t), c.maxBeta);
  }
  const alphaBars = new Float64Array(T);
  let prod = 1;
  for (let t = 0; t < T; t++) {
    prod *= 1 - betas[t]!;
    alphaBars[t] = prod;
  }
  return { config: c, betas, alphaBars };
}

/** sqrt(abar_t) and sqrt(1 - abar_t): the two coefficients of x_t, per timestep. */
export function qCoefficients(schedule: NoiseSchedule, t: number): { signal: number; noise: number } {
  const abar = schedule.alphaBars[checkT(schedule, t)]!;
  return { signal: Math.sqrt(abar), noise: Math.sqrt(1 - abar) };
}

/** x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps for one sample (x0 and eps of equal length). */
export function qSample(schedule: NoiseSchedule, x0: Float32Array, eps: Float32Array, t: number, out = new Float32Array(x0.length)): Float32Array {
  if (eps.length !== x0.length || out.length !== x0.length) throw new ScheduleConfigError(`qSample: x0 has ${x0.length} values, eps ${eps.length}, out ${out.length}`);
  const { signal, noise } = qCoefficients(schedule, t);
  for (let n = 0; n < x0.length; n++) out[n] = signal * x0[n]! + noise * eps[n]!;
  return out;
}

/**
 * `batch` timesteps uniform over 0..tMax-1 (tMax defaults to T; method.md allows capping it), from `rng`: one
 * nextInt draw each, so a resumed run that restores the RNG draws the same timesteps.
 */
export function drawTimesteps(rng: Rng, schedule: NoiseSchedule, batch: number, tMax = schedule.config.steps): Int32Array {
  if (!Number.isInteger(tMax) || tMax < 1 || tMax > schedule.config.steps) throw new ScheduleConfigError(`drawTimesteps: tMax must be an integer in 1..${schedule.config.steps}, got ${tMax}`);
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) out[b] = nextInt(rng, tMax);
  return out;
}

function checkT(schedule: NoiseSchedule, t: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= schedule.config.steps) throw new ScheduleConfigError(`timestep ${t} outside 0..${schedule.config.steps - 1}`);
  return t;
}
