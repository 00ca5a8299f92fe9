import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { rankOverlayChoices, type OverlayCandidate } from '../../../../src/core/viewer/overlay-choices.js';

const grid = (dims: number[], origin: number[] = [0, 0, 0]) => ({
  dims,
  ijkToRas: [1, 0, 0, origin[0]!, 0, 1, 0, origin[1]!, 0, 0, 1, origin[2]!, 0, 0, 0, 1],
});
const image = grid([64, 64, 20]);
const paths = (choices: ReturnType<typeof rankOverlayChoices>): string[] => choices.map((c) => (c.kind === 'file' ? c.path : 'Browse…'));

test('same grid first, the open image left out, Browse… last', () => {
  const candidates: OverlayCandidate[] = [
    { path: '/ws/ct.nii.gz', grid: image },
    { path: '/ws/other/resampled_seg.nii.gz', grid: grid([32, 32, 10]) },
    { path: '/ws/ct_seg.nii.gz', grid: image },
    { path: '/ws/far_seg.nii', grid: grid([8, 8, 8], [5000, 5000, 5000]) },
    { path: '/ws/broken.nii.gz', grid: { error: 'not a NIfTI header' } },
  ];
  const ranked = rankOverlayChoices('/ws/ct.nii.gz', image, candidates);
  assert.deepEqual(paths(ranked), ['/ws/ct_seg.nii.gz', '/ws/other/resampled_seg.nii.gz', '/ws/far_seg.nii', '/ws/broken.nii.gz', 'Browse…']);
  assert.deepEqual(ranked.map((c) => (c.kind === 'file' ? c.fit : 'browse')), ['same-grid', 'by-affine', 'refused', 'unreadable', 'browse']);
  const far = ranked[2];
  assert.ok(far?.kind === 'file' && /does not overlap/.test(far.reason), JSON.stringify(far));
});

test('within the same grid: label-named files, then the image folder, then its stem', () => {
  const candidates: OverlayCandidate[] = [
    { path: '/ws/a/zz_image.nii.gz', grid: image },
    { path: '/ws/b/mask.nii.gz', grid: image },
    { path: '/ws/a/other_labels.nii.gz', grid: image },
    { path: '/ws/a/ct_labels.nii.gz', grid: image },
  ];
  assert.deepEqual(paths(rankOverlayChoices('/ws/a/ct.nii.gz', image, candidates)), [
    '/ws/a/ct_labels.nii.gz', '/ws/a/other_labels.nii.gz', '/ws/b/mask.nii.gz', '/ws/a/zz_image.nii.gz', 'Browse…',
  ]);
});

test('non-NIfTI files and duplicates are left out; with nothing to offer only Browse… remains', () => {
  const candidates: OverlayCandidate[] = [
    { path: 'C:\\data\\notes.txt', grid: image },
    { path: 'C:\\data\\ct.nii', grid: image },
    { path: 'C:\\data\\seg.nii', grid: image },
    { path: 'C:\\data\\seg.nii', grid: image },
  ];
  assert.deepEqual(paths(rankOverlayChoices('C:\\data\\ct.nii', image, candidates)), ['C:\\data\\seg.nii', 'Browse…']);
  assert.deepEqual(paths(rankOverlayChoices('/ws/ct.nii', image, [])), ['Browse…']);
});
