import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { BTCV13_CLASSES, BTCV13_LABELS, BTCV13_NAMES, BTCV13_ORGANS, describesBtcv13 } from '../../../src/core/btcv.js';
import { deltaE76, srgbToLab } from './colour-difference.js';

test('BTCV-13: ids 1..13 in challenge order with the organ names', () => {
  assert.deepEqual(BTCV13_CLASSES, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  assert.deepEqual(BTCV13_NAMES, [
    'spleen', 'right kidney', 'left kidney', 'gallbladder', 'esophagus', 'liver', 'stomach', 'aorta', 'inferior vena cava',
    'portal and splenic veins', 'pancreas', 'right adrenal gland', 'left adrenal gland',
  ]);
  for (const organ of BTCV13_ORGANS) assert.equal(BTCV13_LABELS[organ.key], organ.id, organ.name);
});

test('the Lab conversion matches published values (white, black, sRGB red)', () => {
  const close = (a: readonly number[], b: readonly number[]): boolean => a.every((v, i) => Math.abs(v - (b[i] as number)) < 0.05);
  assert.ok(close(srgbToLab([255, 255, 255]), [100, 0, 0]), String(srgbToLab([255, 255, 255])));
  assert.ok(close(srgbToLab([0, 0, 0]), [0, 0, 0]));
  assert.ok(close(srgbToLab([255, 0, 0]), [53.24, 80.09, 67.2]), String(srgbToLab([255, 0, 0])));
});

test('BTCV-13 colours: neighbouring ids differ by CIE76 ΔE >= 25, any two organs by >= 20', () => {
  for (let i = 0; i + 1 < BTCV13_ORGANS.length; i++) {
    const [a, b] = [BTCV13_ORGANS[i]!, BTCV13_ORGANS[i + 1]!];
    const d = deltaE76(a.rgb, b.rgb);
    assert.ok(d >= 25, `${a.id} ${a.name} vs ${b.id} ${b.name}: ΔE ${d.toFixed(1)}`);
  }
  for (const a of BTCV13_ORGANS) {
    for (const b of BTCV13_ORGANS) {
      if (a.id >= b.id) continue;
      const d = deltaE76(a.rgb, b.rgb);
      assert.ok(d >= 20, `${a.id} ${a.name} vs ${b.id} ${b.name}: ΔE ${d.toFixed(1)}`);
    }
  }
});

test('describesBtcv13 reads the description anadiff sample writes', () => {
  assert.ok(describesBtcv13('BTCV-13 labels for AnaDiff CT phantom (seed 1)'));
  assert.ok(describesBtcv13('btcv13 organs'));
  assert.ok(!describesBtcv13('TotalSegmentator total'));
  assert.ok(!describesBtcv13(''));
});
