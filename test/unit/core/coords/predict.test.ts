import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoordsPredictCancelled, predictCoords, windowStarts } from '../../../../src/core/coords/predict.js';
import type { CoordsVolume } from '../../../../src/core/coords/crop-pairs.js';

test('window starts: multiples of 4 that cover the axis, the last one flush with (or just past) its end', () => {
  assert.deepEqual(windowStarts(40, 16, 0.5), [0, 8, 16, 24]);
  assert.deepEqual(windowStarts(10, 16, 0.5), [0]);
  for (const [size, patch, overlap] of [[37, 16, 0.5], [101, 32, 0.25], [16, 16, 0]] as const) {
    const s = windowStarts(size, patch, overlap);
    assert.ok(s.every((v) => v % 4 === 0));
    assert.ok(s[s.length - 1]! + patch >= size && s[s.length - 1]! + patch < size + 4, `${size}/${patch}: ${s}`);
  }
});

// A linear intensity, and a "network" whose channel 0 is the mean of each 4x4x4 block: averaging and trilinear
// sampling reproduce a linear function exactly, so predicted channel 0 equals the intensity wherever the windows
// saw only the volume (no padding), which checks where every map cell sits.
const dims: [number, number, number] = [40, 36, 30];
const spacing: [number, number, number] = [1.5, 1.5, 2];
const f = (x: number, y: number, z: number) => 0.001 * (x + 2 * y + 3 * z);
function volume(): CoordsVolume {
  const image = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) {
    image[i + dims[0] * (j + dims[1] * k)] = f(i * spacing[0], j * spacing[1], k * spacing[2]);
  }
  return { image, body: new Uint8Array(image.length).fill(1), dims, spacing };
}
const patch: [number, number, number] = [16, 16, 8];
const blockMeans = async (image: Float32Array): Promise<Float32Array> => {
  const [px, py, pz] = patch;
  const [cx, cy, cz] = [px / 4, py / 4, pz / 4];
  const out = new Float32Array(3 * cx * cy * cz);
  for (let z = 0; z < cz; z++) for (let y = 0; y < cy; y++) for (let x = 0; x < cx; x++) {
    let s = 0;
    for (let dz = 0; dz < 4; dz++) for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += image[(4 * x + dx) + px * ((4 * y + dy) + py * (4 * z + dz))]!;
    out[x + cx * (y + cy * z)] = s / 64;
  }
  return out;
};

test('predicted maps land where their windows were: a linear intensity comes back exactly inside the volume', async () => {
  const windowSpacing: [number, number, number] = [3, 3, 4];
  let calls = 0;
  const out = await predictCoords(volume(), async (img) => { calls++; return blockMeans(img); }, { patch, spacing: windowSpacing, onProgress: () => undefined });
  assert.equal(out.length, 3 * dims[0] * dims[1] * dims[2]);
  // Resampled grid 20x18x15 -> windows 3 x 2 x 3 (starts 0,8,... flush at the end).
  assert.equal(calls, windowStarts(20, 16, 0.5).length * windowStarts(18, 16, 0.5).length * windowStarts(15, 8, 0.5).length);
  let checked = 0;
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) {
    const mm = [i * spacing[0], j * spacing[1], k * spacing[2]];
    // Inside the first and last cell centres along each axis (beyond them the map is clamped), and away from the
    // far edge where the last window reads padding.
    const inside = mm.every((p, a) => p >= 1.5 * windowSpacing[a]! && p <= ((dims[a]! - 1) * spacing[a]!) - 6 * windowSpacing[a]!);
    if (!inside) continue;
    checked++;
    const got = out[i + dims[0] * (j + dims[1] * k)]!;
    assert.ok(Math.abs(got - f(mm[0]!, mm[1]!, mm[2]!)) < 1e-4, `voxel ${[i, j, k]}: ${got} vs ${f(mm[0]!, mm[1]!, mm[2]!)}`);
  }
  assert.ok(checked > 1000, `only ${checked} voxels checked`);
});

test('prediction stops between windows when asked', async () => {
  let calls = 0;
  await assert.rejects(
    predictCoords(volume(), async (img) => { calls++; return blockMeans(img); }, { patch, spacing: [3, 3, 4], shouldStop: () => calls >= 2 }),
    CoordsPredictCancelled,
  );
  assert.equal(calls, 2);
});
