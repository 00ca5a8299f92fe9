import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateGraph } from '../../../../src/core/graph/index.js';
import { randomFeeds } from '../../../../src/node/bench/time-graph.js';
import { buildUNetBenchStep } from '../../../../src/node/bench/unet-step.js';
import { createGraphSession } from '../../../../src/node/ort/run-graph.js';

test('the lowering-benchmark UNet step is valid, runs, and its SGD step lowers the loss', async () => {
  for (const up of ['nearest', 'lowres', 'pixelshuffle'] as const) {
    const g = buildUNetBenchStep({ size: 8, channels: 4, up });
    validateGraph(g);
    const params = g.inputsByRole('param');
    assert.ok(params.some((p) => p.name === 'enc0.block1.weight'));
    assert.ok(g.outputs.some((o) => o.name === 'enc0.block1.weight.next'));
    const feeds = randomFeeds(g);
    const s = await createGraphSession(g, { threads: 1 });
    try {
      const first = await s.run(feeds);
      const loss0 = Number(first.loss?.[0]);
      assert.ok(Number.isFinite(loss0));
      // ten SGD steps at lr 1e-3 on a fixed batch: the loss must fall
      const state = { ...feeds };
      let out = first;
      for (let k = 0; k < 10; k++) {
        for (const p of params) state[p.name] = out[`${p.name}.next`] as Float32Array;
        out = await s.run(state);
      }
      assert.ok(Number(out.loss?.[0]) < loss0, `${up}: loss ${loss0} -> ${Number(out.loss?.[0])}`);
    } finally {
      await s.release();
    }
  }
});
