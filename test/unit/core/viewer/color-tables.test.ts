import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { BTCV13, chooseLabelTable, genericLabelColour, genericLabelTable, presentLabels, toNiivueLabelColormap } from '../../../../src/core/viewer/color-tables.js';
import { BTCV13_ORGANS } from '../../../../src/core/btcv.js';
import { deltaE76 } from '../colour-difference.js';

test('BTCV-13 has the 13 organs in challenge order with distinct colours', () => {
  assert.deepEqual(BTCV13.labels.map((l) => l.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  assert.equal(BTCV13.labels[5]?.name, 'liver');
  assert.equal(BTCV13.labels[8]?.name, 'inferior vena cava');
  assert.equal(BTCV13.labels[11]?.name, 'right adrenal gland');
  assert.deepEqual(BTCV13.labels.map((l) => l.rgb), BTCV13_ORGANS.map((o) => o.rgb), 'the viewer uses core/btcv colours');
});

test('chooseLabelTable: BTCV only when the name says so and ids fit', () => {
  assert.equal(chooseLabelTable('example_ct_btcv13_from_totalseg.nii.gz', [0, 1, 6, 13]).id, 'btcv13');
  assert.equal(chooseLabelTable('phantom_seg.nii.gz', [0, 1, 6]).id, 'generic');
  assert.equal(chooseLabelTable('btcv_seg.nii.gz', [0, 1, 40]).id, 'generic');
});

test('chooseLabelTable: the phantom is BTCV-13 by its NIfTI description', () => {
  const description = 'BTCV-13 labels for AnaDiff CT phantom';
  const table = chooseLabelTable('phantom_ct_seg.nii.gz', [0, 1, 6, 13], description);
  assert.equal(table.id, 'btcv13');
  assert.deepEqual(presentLabels(table, [0, 1, 6]).map((l) => l.name), ['spleen', 'liver']);
  assert.equal(chooseLabelTable('phantom_ct_seg.nii.gz', [0, 1, 40], description).id, 'generic', 'ids outside 1..13 stay generic');
});

test('generic colours: ids 1..13 pairwise CIE76 ΔE >= 20, neighbours >= 25 (1 and 6 were both green)', () => {
  for (let a = 1; a <= 13; a++) {
    for (let b = a + 1; b <= 13; b++) {
      const d = deltaE76(genericLabelColour(a), genericLabelColour(b));
      assert.ok(d >= (b === a + 1 ? 25 : 20), `generic ids ${a} and ${b}: ΔE ${d.toFixed(1)}`);
    }
  }
});

test('generic table skips background and keeps neighbouring ids apart', () => {
  const t = genericLabelTable([0, 3, 1, 2, 2]);
  assert.deepEqual(t.labels.map((l) => l.id), [1, 2, 3]);
  const [a, b] = [t.labels[0]?.rgb, t.labels[1]?.rgb];
  assert.ok(a && b);
  const distance = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  assert.ok(distance > 80, `colours of ids 1 and 2 too close: ${distance}`);
});

test('presentLabels keeps only present ids and names unknown ones', () => {
  const labels = presentLabels(BTCV13, [0, 6, 1, 20]);
  assert.deepEqual(labels.map((l) => [l.id, l.name]), [[1, 'spleen'], [6, 'liver'], [20, 'label 20']]);
});

test('NiiVue colormap is dense, background and hidden labels transparent', () => {
  const cm = toNiivueLabelColormap(presentLabels(BTCV13, [1, 6]), new Set([6]));
  assert.equal(cm.I.length, 7);
  assert.deepEqual(cm.A, [0, 255, 0, 0, 0, 0, 0]);
  assert.equal(cm.labels[6], 'liver');
  assert.equal(cm.R[1], BTCV13_ORGANS[0]?.rgb[0]);
});
