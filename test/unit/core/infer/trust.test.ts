/** The input warnings `segment` gives (core/infer/trust.ts): each rule fires on a crafted input and not on a normal one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BODY_MEDIAN_HU, MIN_BODY_ML, THIN_SLAB_VOXELS, TRAINED_SPACING_MM, bodyHuMedian, inputWarnings, spacingAlongRas, trustFacts, type TrustFacts } from '../../../../src/core/infer/trust.js';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { preprocessCase } from '../../../../src/core/preprocess/index.js';
import type { Mat4 } from '../../../../src/core/volume/mat4.js';

/** An abdominal CT as the default model sees it: 0.8 mm in-plane, 2.5 mm slices, 1.5x1.5x3 mm working grid. */
const normal: TrustFacts = {
  sourceSpacingRasMm: [0.8, 0.8, 2.5], workingDims: [230, 170, 100], workingSpacingMm: [1.5, 1.5, 3],
  bodyVoxels: 2_000_000, bodyMedianHu: 20, minHu: -1024,
};
const fire = (change: Partial<TrustFacts>): string[] => inputWarnings({ ...normal, ...change });

test('a normal abdominal CT gives no warning, nor do the edges of every range', () => {
  assert.deepEqual(inputWarnings(normal), []);
  const { inPlane, slice } = TRAINED_SPACING_MM;
  assert.deepEqual(fire({ sourceSpacingRasMm: [inPlane.max, inPlane.min, slice.max] }), []);
  assert.deepEqual(fire({ sourceSpacingRasMm: [3, 3, 3] }), [], 'the default model\'s training grid (subject A, 3 mm)');
  assert.deepEqual(fire({ workingDims: [THIN_SLAB_VOXELS, THIN_SLAB_VOXELS, THIN_SLAB_VOXELS] }), []);
  assert.deepEqual(fire({ bodyMedianHu: BODY_MEDIAN_HU.min }), []);
  assert.deepEqual(fire({ bodyMedianHu: BODY_MEDIAN_HU.max }), []);
  assert.deepEqual(fire({ minHu: -501 }), []);
});

test('thin slab: fewer than 16 working slices, with the slices, the millimetres and what to do', () => {
  const w = fire({ workingDims: [230, 170, 12] });
  assert.equal(w.length, 1);
  assert.match(w[0]!, /^thin slab: only 12 voxels \(36 mm\) of body along head-foot \(S\) at the model's 3 mm, fewer than 16; the model's reliability drops on thin slabs/);
  assert.match(w[0]!, /segment the full scan/);
  assert.match(fire({ workingDims: [230, 9, 100] }).join(), /only 9 voxels \(13.5 mm\) of body along front-back \(A\)/);
});

test('spacing: slices coarser than 6 mm, in-plane coarser than 3.5 mm or finer than 0.4 mm', () => {
  assert.match(fire({ sourceSpacingRasMm: [0.8, 0.8, 7.5] }).join(), /^slice spacing 7.5 mm is coarser than the 6 mm .*use a thinner reconstruction/);
  assert.match(fire({ sourceSpacingRasMm: [0.8, 0.8, 0.3] }).join(), /^slice spacing 0.3 mm is finer than the 0.4 mm/);
  assert.match(fire({ sourceSpacingRasMm: [4, 4, 3] }).join(), /^in-plane spacing 4 x 4 mm is coarser than the 3.5 mm .*original resolution/);
  assert.match(fire({ sourceSpacingRasMm: [0.3, 0.35, 1] }).join(), /^in-plane spacing 0.3 x 0.35 mm is finer than the 0.4 mm .*resampling to the model's 1.5 mm/);
  assert.equal(fire({ sourceSpacingRasMm: [4, 0.3, 2] }).length, 1, 'one in-plane warning at most');
});

test('body: none, or less than 250 mL', () => {
  assert.match(fire({ bodyVoxels: 0, bodyMedianHu: undefined }).join(), /^no body found: .*check that this is a body CT/);
  const little = Math.floor((MIN_BODY_ML - 1) * 1000 / (1.5 * 1.5 * 3));
  assert.match(fire({ bodyVoxels: little }).join(), /^very little body: the body mask holds 249 mL, less than 250 mL/);
  assert.deepEqual(fire({ bodyVoxels: Math.ceil(MIN_BODY_ML * 1000 / (1.5 * 1.5 * 3)) }), []);
});

test('intensities: no voxel below -500 HU, or a body median outside -200..300 HU', () => {
  assert.match(fire({ minHu: -350 }).join(), /^no air: no voxel is below -500 HU \(the lowest is -350 HU\).*rescale slope and intercept/);
  assert.match(fire({ bodyMedianHu: 1064 }).join(), /^the median inside the body is 1064 HU, outside -200..300 HU/);
  assert.match(fire({ bodyMedianHu: -420 }).join(), /median inside the body is -420 HU/);
});

test('spacingAlongRas follows the voxel axes to the world axes (LPS storage, a coronal stack)', () => {
  const lps: Mat4 = [-0.7, 0, 0, 0, 0, -0.8, 0, 0, 0, 0, 5, 0, 0, 0, 0, 1];
  assert.deepEqual(spacingAlongRas(lps), [0.7, 0.8, 5]);
  // i along R, j along S, k along A (coronal slices 6 mm apart).
  const coronal: Mat4 = [0.7, 0, 0, 0, 0, 0, 6, 0, 0, 0.9, 0, 0, 0, 0, 0, 1];
  assert.deepEqual(spacingAlongRas(coronal), [0.7, 6, 0.9]);
});

test('bodyHuMedian: body voxels counted and the median read within the HU window to a bin', () => {
  const window = [-1000, 1000] as const;
  const scaled = (hu: number): number => (hu - window[0]) / (window[1] - window[0]);
  const image = Float32Array.from([-1000, 0, 10, 20, 900, -1000, 3000].map(scaled).map((x) => Math.min(1, x)));
  const mask = Uint8Array.from([0, 1, 1, 1, 1, 0, 1]);
  const { bodyVoxels, bodyMedianHu } = bodyHuMedian(image, mask, window);
  assert.equal(bodyVoxels, 5);
  assert.ok(Math.abs(bodyMedianHu! - 20) <= 2000 / 4096, `median ${bodyMedianHu}`);
  assert.deepEqual(bodyHuMedian(image, new Uint8Array(7), window), { bodyVoxels: 0, bodyMedianHu: undefined });
});

test('the phantom CT gives no warning; shifted by +1024 HU or cut to a slab, it does', () => {
  const phantom = makePhantom({ size: 'small' });
  const model = { spacingMm: [1.5, 1.5, 3] as const, huWindow: [-1350, 1000] as const };
  const facts = (data: Int16Array, dims = phantom.image.dims): TrustFacts => {
    let min = Infinity;
    for (const v of data) min = Math.min(min, v);
    return trustFacts(preprocessCase({ image: { dims, ijkToRas: phantom.image.ijkToRas, data } }, model), model, min);
  };
  assert.deepEqual(inputWarnings(facts(phantom.image.data)), []);
  // Air stays air (-1000 + 1024 = 24 would be body): only the body's voxels move up, as a CT without its intercept.
  const shifted = Int16Array.from(phantom.image.data, (hu) => (hu < -500 ? hu : hu + 1024));
  assert.match(inputWarnings(facts(shifted)).join('\n'), /median inside the body is 9\d\d|median inside the body is 10\d\d/);
  const [nx, ny] = phantom.image.dims;
  const slab = phantom.image.data.slice(30 * nx * ny, 38 * nx * ny);
  assert.match(inputWarnings(facts(slab, [nx, ny, 8])).join(), /^thin slab: only 11 voxels \(33 mm\)/);
});
