import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { compactVoxels, firstPaint } from '../../../../src/core/viewer/prepare.js';

test('compactVoxels picks the smallest exact type', () => {
  const labels = compactVoxels(new Float32Array([0, 1, 13, 255]));
  assert.equal(labels.voxelType, 'uint8');
  assert.deepEqual([...new Uint8Array(labels.voxels)], [0, 1, 13, 255]);
  const ct = compactVoxels(new Float32Array([-1024, 40, 3071]));
  assert.equal(ct.voxelType, 'int16');
  assert.deepEqual([...new Int16Array(ct.voxels)], [-1024, 40, 3071]);
  assert.deepEqual(ct.range, { min: -1024, max: 3071 });
  const mri = compactVoxels(new Float32Array([0.5, 2]));
  assert.equal(mri.voxelType, 'float32');
  assert.equal(compactVoxels(new Float32Array([0, 70000])).voxelType, 'float32');
});

test('firstPaint: three centre planes, CT window, window chosen for CT', () => {
  const dims = [5, 4, 3];
  const data = new Float32Array(60).map((_, i) => (i % 2 ? -1000 : 1200));
  const source = { dims, ijkToRas: [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1], data, datatype: 'int16' };
  const message = firstPaint(source, { min: -1000, max: 1200 });
  assert.equal(message.isCt, true);
  assert.deepEqual(message.defaultWindow, { min: -160, max: 240 });
  assert.equal(message.geometry.orientation, 'LPS');
  assert.deepEqual(message.slices.map((s) => [s.plane, s.width, s.height]), [['axial', 5, 4], ['coronal', 5, 3], ['sagittal', 4, 3]]);
  assert.equal(message.slices[0]?.data.length, 20);
});

test('distinctLabelIds lists present values', async () => {
  const { distinctLabelIds } = await import('../../../../src/core/viewer/prepare.js');
  assert.deepEqual(distinctLabelIds('uint8', new Uint8Array([0, 6, 6, 1, 0]).buffer), [0, 1, 6]);
  assert.deepEqual(distinctLabelIds('int16', new Int16Array([-1, 300, 0]).buffer), [-1, 0, 300]);
  assert.deepEqual(distinctLabelIds('float32', new Float32Array([0.5]).buffer), []);
});
