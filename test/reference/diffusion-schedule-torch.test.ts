// The noise schedules (src/core/diffusion/schedule.ts) against the way diffusers' DDPMScheduler builds them in PyTorch:
// betas in float32 (torch.linspace, or betas_for_alpha_bar for "squaredcos_cap_v2"), alphas_cumprod by torch.cumprod.
// float32 on their side, float64 on ours: abar agrees within 1e-5 absolute and 1e-4 relative at every t.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { noiseSchedule, noiseScheduleConfig } from '../../src/core/diffusion/schedule.js';
import { python, torchMissing } from './torch/peer.js';

const DIFFUSERS_RECIPE = `
import json, math, torch
T = 1000
linear = torch.linspace(1e-4, 0.02, T, dtype=torch.float32)
f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
cosine = torch.tensor([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)], dtype=torch.float32)
out = {k: torch.cumprod(1.0 - b, dim=0).tolist() for k, b in (('linear', linear), ('cosine', cosine))}
print(json.dumps(out))
`;

test('abar of the linear and cosine schedules matches the diffusers recipe run in PyTorch', (t) => {
  const missing = torchMissing();
  if (missing) return t.skip(missing);
  const r = spawnSync(python, ['-c', DIFFUSERS_RECIPE], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const theirs = JSON.parse(r.stdout) as { linear: number[]; cosine: number[] };
  for (const kind of ['linear', 'cosine'] as const) {
    const ours = noiseSchedule(noiseScheduleConfig({ kind })).alphaBars;
    let abs = 0;
    let rel = 0;
    ours.forEach((a, i) => {
      const b = theirs[kind][i]!;
      abs = Math.max(abs, Math.abs(a - b));
      rel = Math.max(rel, Math.abs(a - b) / b);
    });
    t.diagnostic(`${kind}: max abs ${abs.toExponential(2)}, max rel ${rel.toExponential(2)}`);
    assert.ok(abs < 1e-5 && rel < 1e-4, `${kind}: abs ${abs}, rel ${rel}`);
  }
});
