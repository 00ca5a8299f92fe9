// preprocessCase's `channels`: a continuous map on the CT's grid goes through the same reorientation, body crop and
// linear resampling as the CT (a channel holding the CT's own HU comes out as the CT, before the HU window).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { DEFAULT_HU_WINDOW, preprocessCase } from '../../../../src/core/preprocess/index.js';

test('a channel holding the HU is preprocessed exactly as the image (flipped affine, crop, resampling)', () => {
  const ct = makePhantom({ size: 'small', seed: 1 }).image;
  // Flip i in the stored order (LAS-like), so reorientation has work to do.
  const [ni, nj, nk] = ct.dims;
  const data = new Float32Array(ct.data.length);
  for (let k = 0, n = 0; k < nk; k++) for (let j = 0; j < nj; j++) for (let i = 0; i < ni; i++, n++) data[n] = ct.data[ni - 1 - i + ni * (j + nj * k)]!;
  const a = ct.ijkToRas;
  const ijkToRas = [-a[0]!, a[1]!, a[2]!, a[3]! + a[0]! * (ni - 1), -a[4]!, a[5]!, a[6]!, a[7]! + a[4]! * (ni - 1), -a[8]!, a[9]!, a[10]!, a[11]! + a[8]! * (ni - 1), 0, 0, 0, 1];
  const image = { dims: ct.dims, ijkToRas, data };
  const pre = preprocessCase({ image, channels: [{ ...image, data: Float32Array.from(data) }] }, { spacingMm: [4, 4, 5] });
  const channel = pre.channels![0]!;
  assert.deepEqual(channel.dims, pre.image.dims);
  assert.deepEqual(channel.ijkToRas, pre.image.ijkToRas);
  const [lo, hi] = DEFAULT_HU_WINDOW;
  let worst = 0;
  channel.data.forEach((hu, n) => { worst = Math.max(worst, Math.abs(Math.min(1, Math.max(0, (hu - lo) / (hi - lo))) - pre.image.data[n]!)); });
  assert.ok(worst < 1e-5, `max difference ${worst}`);
  assert.throws(() => preprocessCase({ image, channels: [{ ...image, dims: [ni - 1, nj, nk], data: new Float32Array((ni - 1) * nj * nk) }] }), /channel 0/);
});
