import assert from 'node:assert/strict';
import { test } from 'node:test';
import { organStats, voxelVolumeMm3 } from '../../../../src/core/metrics/index.js';

// A 2x2x2 grid with 2 x 3 x 5 mm voxels (30 mm³ = 0.03 mL each), turned 90° about z (the volume must not change).
const ijkToRas = [0, -3, 0, 10, 2, 0, 0, -4, 0, 0, 5, 7, 0, 0, 0, 1];

test('organ stats: voxel count, mL from the affine, mean HU inside, background left out, names', () => {
  assert.equal(voxelVolumeMm3(ijkToRas), 30);
  const labels = new Uint8Array([0, 6, 6, 6, 1, 0, 0, 200]);
  const hu = new Int16Array([-1000, 40, 60, 80, 30, -1000, -1000, 5]);
  const names = new Map([[1, 'spleen'], [6, 'liver']]);
  const rows = organStats(labels, hu, ijkToRas, (v) => names.get(v));
  assert.deepEqual(rows.map((r) => [r.label, r.name, r.voxels, r.meanValue]), [[1, 'spleen', 1, 30], [6, 'liver', 3, 60], [200, 'label 200', 1, 5]]);
  assert.ok(Math.abs(rows[1]!.volumeMl - 0.09) < 1e-12, `liver 3 voxels x 30 mm³ = 0.09 mL, got ${rows[1]!.volumeMl}`);
  assert.throws(() => organStats(labels, new Int16Array(7), ijkToRas, () => undefined), /8 voxels, the image 7/);
});
