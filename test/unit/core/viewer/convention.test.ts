import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseConvention, startsRadiological } from '../../../../src/core/viewer/convention.js';

test('auto: CT opens radiological, other images neurological', () => {
  assert.equal(startsRadiological('auto', true), true);
  assert.equal(startsRadiological('auto', false), false);
});

test('an explicit setting wins over the modality', () => {
  assert.equal(startsRadiological('neurological', true), false);
  assert.equal(startsRadiological('radiological', false), true);
});

test('parseConvention: unknown or missing values are auto', () => {
  assert.equal(parseConvention('radiological'), 'radiological');
  assert.equal(parseConvention('Radiological'), 'auto');
  assert.equal(parseConvention(undefined), 'auto');
  assert.equal(parseConvention(3), 'auto');
});
