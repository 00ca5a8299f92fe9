import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate, oneCycle, ScheduleError, type WarmupCosine } from '../../../../src/core/optim/schedules.js';

const cosine: WarmupCosine = { kind: 'warmup-cosine', baseLr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-5 };

test('warmup-cosine: linear warmup reaches the base rate, then decays monotonically to the minimum', () => {
  assert.ok(Math.abs(learningRate(cosine, 0) - 1e-4) < 1e-12);
  assert.ok(Math.abs(learningRate(cosine, 9) - 1e-3) < 1e-12);
  let prev = Infinity;
  for (let s = 10; s <= 110; s++) {
    const lr = learningRate(cosine, s);
    assert.ok(lr <= prev + 1e-15, `step ${s}: ${lr} > ${prev}`);
    prev = lr;
  }
  assert.ok(Math.abs(learningRate(cosine, 110) - 1e-5) < 1e-12);
  // halfway through the decay the cosine sits at the midpoint
  assert.ok(Math.abs(learningRate(cosine, 60) - (1e-3 + 1e-5) / 2) < 1e-12);
});

test('one-cycle: starts at max/div, peaks at max after pctStart, ends at initial/finalDiv', () => {
  const s = oneCycle(3e-4, 1000);
  assert.ok(Math.abs(learningRate(s, 0) - 3e-4 / 25) < 1e-15);
  const peak = Math.round(0.3 * 1000 - 1);
  assert.ok(Math.abs(learningRate(s, peak) - 3e-4) < 1e-15);
  assert.ok(Math.abs(learningRate(s, 999) - 3e-4 / 25 / 1e4) < 1e-15);
  assert.ok(learningRate(s, 100) < learningRate(s, 200));
  assert.ok(learningRate(s, 500) > learningRate(s, 800));
});

test('schedules reject bad steps with a typed error', () => {
  assert.throws(() => learningRate(cosine, -1), ScheduleError);
  assert.throws(() => learningRate(oneCycle(1, 10), 10), /past totalSteps/);
});
