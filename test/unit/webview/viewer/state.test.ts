import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { defaultState } from '../../../../webview/viewer/state.js';

const abdomen = { min: -160, max: 240 };

test('a CT without a saved view opens radiological under the default setting (auto)', () => {
  assert.equal(defaultState(abdomen, true, 'auto').radiological, true);
  assert.equal(defaultState({ min: 0, max: 500 }, false, 'auto').radiological, false, 'MRI and other images stay neurological');
});

test('the setting overrides the modality both ways', () => {
  assert.equal(defaultState(abdomen, true, 'neurological').radiological, false);
  assert.equal(defaultState({ min: 0, max: 500 }, false, 'radiological').radiological, true);
});
