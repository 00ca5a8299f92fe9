// Models Genesis' transforms (src/core/pretrain/genesis.ts): each transform's invariant, and genesisSample's
// determinism per seed. Patches use voxel value = flat index / count where a test must trace where a voxel went.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyIntensityCurve, drawFlips, flipAxis, genesisSample, GENESIS_DEFAULTS, inPaint, intensityCurve, localPixelShuffle, outPaint, type GenesisPatch,
} from '../../../../src/core/pretrain/genesis.js';
import { createRng } from '../../../../src/core/random/rng.js';

const dims = [32, 32, 16] as const;
const count = dims[0] * dims[1] * dims[2];
/** Every voxel holds its own flat index: a value says where it came from. */
const indexPatch: GenesisPatch = { dims, data: Float32Array.from({ length: count }, (_, n) => n) };
/** A smooth CT-like patch in [0, 1]. */
const ctPatch: GenesisPatch = {
  dims,
  data: Float32Array.from({ length: count }, (_, n) => 0.5 + 0.4 * Math.sin(n / 97) * Math.cos(n / 1013)),
};
const coords = (n: number): [number, number, number] => [n % dims[0], Math.floor(n / dims[0]) % dims[1], Math.floor(n / (dims[0] * dims[1]))];

test('flip: each axis reverses that axis only, twice is the identity; flips are drawn at most 3 at rate 0.4', () => {
  for (const axis of [0, 1, 2] as const) {
    const f = flipAxis(indexPatch, axis);
    for (const n of [0, 1, 33, 5000, count - 1]) {
      const [i, j, k] = coords(n);
      const [fi, fj, fk] = coords(f[n]!);
      assert.deepEqual([fi, fj, fk], [axis === 0 ? dims[0] - 1 - i : i, axis === 1 ? dims[1] - 1 - j : j, axis === 2 ? dims[2] - 1 - k : k]);
    }
    assert.deepEqual(flipAxis({ dims, data: f }, axis), indexPatch.data);
  }
  const rng = createRng(3);
  const lengths = Array.from({ length: 20000 }, () => drawFlips(rng).length);
  assert.ok(lengths.every((l) => l <= 3));
  const none = lengths.filter((l) => l === 0).length / lengths.length;
  assert.ok(Math.abs(none - 0.6) < 0.015, `P(no flip) = ${none}, expected 1 - 0.4`);
});

test('local pixel shuffle: one block permutes its own voxels only; 10,000 blocks move voxels at most dim/10 - 1 per axis', () => {
  // With one block, the block's multiset is kept and nothing outside it changes.
  const one = localPixelShuffle(createRng(1), indexPatch, 1);
  const moved = [...one.keys()].filter((n) => one[n] !== n);
  assert.deepEqual([...moved].sort((a, b) => a - b), moved.map((n) => one[n]!).sort((a, b) => a - b), 'moved voxels are a permutation of the block');
  const full = localPixelShuffle(createRng(2), indexPatch);
  let changed = 0;
  for (let n = 0; n < count; n++) {
    const from = coords(full[n]!);
    const to = coords(n);
    if (full[n] !== n) changed++;
    for (let a = 0; a < 3; a++) assert.ok(Math.abs(from[a]! - to[a]!) <= Math.max(1, Math.floor(dims[a]! / 10)) - 1, `voxel ${n} came from ${full[n]}`);
  }
  assert.ok(changed > 0.3 * count, `${changed} of ${count} voxels moved`);
  assert.deepEqual(localPixelShuffle(createRng(2), indexPatch), full, 'deterministic per seed');
});

test('Bezier intensity: 0 -> 0, 1 -> 1 and non-decreasing; the inverted curve maps 0 -> 1 and 1 -> 0', () => {
  const ramp = Float32Array.from({ length: 1001 }, (_, i) => i / 1000);
  for (const controls of [[[0.2, 0.9], [0.7, 0.1]], [[0.9, 0.1], [0.1, 0.9]], [[0.5, 0.5], [0.5, 0.5]]] as [[number, number], [number, number]][]) {
    const y = applyIntensityCurve(ramp, intensityCurve(controls, false, 20000));
    assert.ok(Math.abs(y[0]!) < 1e-6 && Math.abs(y[1000]! - 1) < 1e-6, `ends ${y[0]}, ${y[1000]}`);
    for (let i = 1; i < y.length; i++) assert.ok(y[i]! >= y[i - 1]! - 1e-7, `non-decreasing at ${i}`);
    const inv = applyIntensityCurve(ramp, intensityCurve(controls, true, 20000));
    assert.ok(Math.abs(inv[0]! - 1) < 1e-6 && Math.abs(inv[1000]!) < 1e-6, `inverted ends ${inv[0]}, ${inv[1000]}`);
    assert.ok(inv.every((v) => v >= -1e-6 && v <= 1 + 1e-6));
  }
  // The control points (0.5,0.5) twice give the identity curve: Bezier with collinear points on y = x.
  const id = applyIntensityCurve(ramp, intensityCurve([[0.5, 0.5], [0.5, 0.5]], false, 20000));
  assert.ok(id.every((v, i) => Math.abs(v - i / 1000) < 1e-4));
});

test('in-painting fills at most 5 boxes of dim/6..dim/3 with U[0,1); out-painting keeps 3/7..4/7-sided boxes and fills the rest', () => {
  const marker: GenesisPatch = { dims, data: new Float32Array(count).fill(2) }; // outside [0, 1): painted voxels show
  for (let seed = 0; seed < 20; seed++) {
    const inp = inPaint(createRng(seed), marker);
    const painted = inp.filter((v) => v !== 2).length / count;
    assert.ok(painted <= 5 / 27 + 1e-9, `seed ${seed}: in-painting covered ${painted}`);
    assert.ok(inp.every((v) => v === 2 || (v >= 0 && v < 1)));
    const out = outPaint(createRng(seed), marker);
    const kept = out.filter((v) => v === 2).length / count;
    // One box of at least 3/7 of each side is restored (minus flooring); five boxes of at most 4/7 cap it.
    assert.ok(kept >= 0.06 && kept <= Math.min(1, 5 * (4 / 7) ** 3) , `seed ${seed}: out-painting kept ${kept}`);
    assert.ok(out.every((v) => v === 2 || (v >= 0 && v < 1)));
  }
});

test('genesisSample: target is the flipped patch, input and target flipped alike, deterministic per seed, rates as published', () => {
  const a = genesisSample(createRng(11), indexPatch, { ...GENESIS_DEFAULTS, localRate: 0, nonlinearRate: 0, paintRate: 0 });
  // With the corruptions off, input equals target: the same flips went to both.
  assert.deepEqual(a.input, a.target);
  let expected = indexPatch.data;
  for (const axis of a.trace.flips) expected = flipAxis({ dims, data: expected }, axis);
  assert.deepEqual(a.target, expected);
  assert.notEqual(a.target, indexPatch.data, 'never aliases the caller\'s array');

  const s1 = genesisSample(createRng(5), ctPatch);
  const s2 = genesisSample(createRng(5), ctPatch);
  assert.deepEqual(s1.input, s2.input);
  assert.deepEqual(s1.target, s2.target);
  assert.deepEqual(s1.trace.flips, s2.trace.flips);
  const s3 = genesisSample(createRng(6), ctPatch);
  assert.notDeepEqual(s1.input, s3.input);

  // Rates over many samples (small curves and few shuffle blocks keep this quick; the draws are the same).
  const cheap = { ...GENESIS_DEFAULTS, shuffleBlocks: 1, bezierPoints: 64 };
  const tiny: GenesisPatch = { dims: [8, 8, 8], data: new Float32Array(512).fill(0.5) };
  const rng = createRng(7);
  const traces = Array.from({ length: 4000 }, () => genesisSample(rng, tiny, cheap).trace);
  const share = (f: (t: (typeof traces)[number]) => boolean): number => traces.filter(f).length / traces.length;
  assert.ok(Math.abs(share((t) => t.shuffled) - 0.5) < 0.03);
  assert.ok(Math.abs(share((t) => t.curve !== undefined) - 0.9) < 0.02);
  assert.ok(Math.abs(share((t) => t.curve?.inverted === true) - 0.45) < 0.03);
  assert.ok(Math.abs(share((t) => t.painting !== undefined) - 0.9) < 0.02);
  assert.ok(Math.abs(share((t) => t.painting === 'in') - 0.18) < 0.02);
});
