import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { autoRange, defaultRange, findPreset, formatValue, greyLevel, looksLikeCt, rangeToWindow, windowToRange, WINDOW_PRESETS } from '../../../../src/core/viewer/window.js';

test('presets are the standard CT windows', () => {
  const table = WINDOW_PRESETS.map((p) => `${p.id} W${p.width}/L${p.level}`);
  assert.deepEqual(table, ['abdomen W400/L40', 'lung W1500/L-600', 'bone W1800/L400', 'brain W80/L40']);
});

test('window <-> range round trip', () => {
  const lung = findPreset('lung');
  assert.ok(lung);
  assert.deepEqual(windowToRange(lung), { min: -1350, max: 150 });
  assert.deepEqual(rangeToWindow({ min: -1350, max: 150 }), { width: 1500, level: -600 });
  assert.throws(() => windowToRange({ width: 0, level: 0 }), RangeError);
});

test('greyLevel ramps linearly and clamps', () => {
  const r = { min: -160, max: 240 };
  assert.equal(greyLevel(-1000, r), 0);
  assert.equal(greyLevel(240, r), 255);
  assert.equal(greyLevel(40, r), 128);
  assert.equal(greyLevel(5, { min: 5, max: 5 }), 255);
});

test('looksLikeCt needs integer HU-like data', () => {
  assert.equal(looksLikeCt({ min: -1024, max: 3000 }, true), true);
  assert.equal(looksLikeCt({ min: -1024, max: 3000 }, false), false);
  assert.equal(looksLikeCt({ min: 0, max: 800 }, true), false);
});

test('autoRange ignores outliers; defaultRange picks the abdomen window for CT', () => {
  const values = new Float32Array(10000).map((_, i) => i % 100);
  values[0] = 1e6;
  const r = autoRange(values);
  assert.ok(r.min >= 0 && r.min <= 3 && r.max >= 96 && r.max <= 99, JSON.stringify(r));
  assert.deepEqual(defaultRange(values, { min: -1024, max: 2000 }, true), { min: -160, max: 240 });
  assert.deepEqual(autoRange(new Float32Array(10).fill(7)), { min: 7, max: 8 });
});

test('formatValue', () => {
  assert.equal(formatValue(-3, 'HU'), '-3 HU');
  assert.equal(formatValue(0.123456, ''), '0.1235');
});
