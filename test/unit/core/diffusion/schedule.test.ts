// The DDPM noise schedule (src/core/diffusion/schedule.ts): the facts issue 11 names, and the numbers diffusers and
// MONAI produce, recomputed here from their formulas in float64 (the PyTorch peer repeats this in float32:
// test/reference/diffusion-schedule-torch.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawTimesteps, noiseSchedule, noiseScheduleConfig, qSample, ScheduleConfigError } from '../../../../src/core/diffusion/schedule.js';
import { createRng, fillNormal } from '../../../../src/core/random/rng.js';

const linear = noiseSchedule();
const cosine = noiseSchedule(noiseScheduleConfig({ kind: 'cosine' }));

function strictlyDecreasing(a: Float64Array): boolean {
  for (let t = 1; t < a.length; t++) if (!(a[t]! < a[t - 1]!)) return false;
  return true;
}

function stats(x: Float32Array): { mean: number; sd: number } {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  return { mean, sd: Math.sqrt(q / x.length) };
}

test('linear schedule: T = 1000, beta from 1e-4 to 0.02 inclusive, abar strictly decreasing from 1 - 1e-4', () => {
  assert.equal(linear.betas.length, 1000);
  assert.equal(linear.betas[0], 1e-4);
  assert.ok(Math.abs(linear.betas[999]! - 0.02) < 1e-15);
  assert.ok(Math.abs(linear.betas[1]! - (1e-4 + (0.02 - 1e-4) / 999)) < 1e-15, 'linspace spacing');
  assert.ok(Math.abs(linear.alphaBars[0]! - (1 - 1e-4)) < 1e-15);
  assert.ok(strictlyDecreasing(linear.alphaBars));
  // ln abar_{T-1} = sum ln(1 - beta_t) ~ -10.118: the last step keeps sqrt(4e-5) = 0.6% of the signal.
  assert.ok(linear.alphaBars[999]! > 3.9e-5 && linear.alphaBars[999]! < 4.2e-5, `abar_999 = ${linear.alphaBars[999]}`);
});

test('linear schedule equals the diffusers/MONAI recipe computed independently (linspace, cumprod) in float64', () => {
  let prod = 1;
  for (let t = 0; t < 1000; t++) {
    const beta = 1e-4 * (1 - t / 999) + 0.02 * (t / 999);
    prod *= 1 - beta;
    assert.ok(Math.abs(linear.alphaBars[t]! - prod) <= 1e-12 * Math.max(prod, 1e-6), `t = ${t}`);
  }
});

test('cosine schedule: Nichol & Dhariwal with s = 0.008, betas clipped at 0.999, abar monotone', () => {
  assert.ok(strictlyDecreasing(cosine.alphaBars));
  assert.ok(cosine.betas.every((b) => b > 0 && b <= 0.999));
  assert.equal(cosine.betas[999], 0.999, 'the last beta hits the clip');
  // MONAI's cosine_beta: abar(x) = cos^2(((x / T + s) / (1 + s)) pi / 2) / abar(0) for x = 0..T, then betas from
  // consecutive ratios: the same numbers, written the other way round.
  const f = (x: number): number => Math.cos(((x / 1000 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  for (const t of [0, 1, 10, 100, 500, 900, 998]) {
    assert.ok(Math.abs(cosine.alphaBars[t]! - f(t + 1) / f(0)) < 1e-12, `abar at t = ${t}`);
  }
  // Known values: beta_0 ~ 4e-5 (much gentler than linear's start), abar(T/2) ~ 0.49.
  assert.ok(cosine.betas[0]! > 3e-5 && cosine.betas[0]! < 5e-5, `beta_0 = ${cosine.betas[0]}`);
  assert.ok(Math.abs(cosine.alphaBars[499]! - 0.49) < 0.02, `abar_499 = ${cosine.alphaBars[499]}`);
});

test('qSample: x_t ~ x0 at t = 0 and ~ unit normal at t = T-1 over many voxels', () => {
  const n = 64 * 64 * 32;
  const rng = createRng(5, 0);
  const x0 = new Float32Array(n);
  for (let i = 0; i < n; i++) x0[i] = 0.8 * Math.sin(i / 37) - 0.2; // a structured image in [-1, 1], mean ~ -0.2
  const eps = new Float32Array(n);
  fillNormal(rng, eps);

  const x0t = qSample(linear, x0, eps, 0);
  let maxDiff = 0;
  for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(x0t[i]! - x0[i]!));
  assert.ok(maxDiff < 0.06, `|x_0 - x0| <= sqrt(1e-4) * max|eps|: ${maxDiff}`);

  for (const schedule of [linear, cosine]) {
    const xT = qSample(schedule, x0, eps, 999);
    const { mean, sd } = stats(xT);
    assert.ok(Math.abs(mean) < 0.01, `${schedule.config.kind}: mean at T = ${mean}`);
    assert.ok(Math.abs(sd - 1) < 0.01, `${schedule.config.kind}: sd at T = ${sd}`);
  }
  // Variance preserving in between: for x0 of unit variance, x_t has unit variance at every t.
  const white = new Float32Array(n);
  fillNormal(createRng(6, 0), white);
  for (const t of [10, 250, 600]) assert.ok(Math.abs(stats(qSample(linear, white, eps, t)).sd - 1) < 0.02, `t = ${t}`);
});

test('drawTimesteps: uniform over 0..T-1 (or 0..tMax-1), deterministic per seed', () => {
  const a = drawTimesteps(createRng(1, 1), linear, 20000);
  const b = drawTimesteps(createRng(1, 1), linear, 20000);
  assert.deepEqual(a, b);
  assert.ok(a.every((t) => t >= 0 && t < 1000));
  const mean = a.reduce((s, t) => s + t, 0) / a.length;
  assert.ok(Math.abs(mean - 499.5) < 6, `mean ${mean}`);
  const quartile = a.filter((t) => t < 250).length / a.length;
  assert.ok(Math.abs(quartile - 0.25) < 0.015, `share below 250: ${quartile}`);
  assert.ok(drawTimesteps(createRng(2, 1), linear, 500, 11).every((t) => t <= 10));
});

test('bad configs and timesteps fail loudly', () => {
  assert.throws(() => noiseScheduleConfig({ steps: 1 }), ScheduleConfigError);
  assert.throws(() => noiseScheduleConfig({ betaStart: 0.1, betaEnd: 0.01 }), ScheduleConfigError);
  assert.throws(() => qSample(linear, new Float32Array(2), new Float32Array(2), 1000), /timestep 1000 outside 0..999/);
  assert.throws(() => drawTimesteps(createRng(1), linear, 1, 0), ScheduleConfigError);
});
