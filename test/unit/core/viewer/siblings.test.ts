import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { segmentationCandidates, segmentationFileName } from '../../../../src/core/viewer/siblings.js';

test('finds segmentation-like siblings, own stem first', () => {
  const names = ['example_ct.nii.gz', 'example_seg.nii.gz', 'example_ct_btcv13_from_totalseg.nii.gz', 'weighted.nii', 'notes.txt', 'labels.json', 'x_gt.nii'];
  assert.deepEqual(segmentationCandidates('example_ct.nii.gz', names), ['example_ct_btcv13_from_totalseg.nii.gz', 'example_seg.nii.gz', 'x_gt.nii']);
});

test('a label map itself gets no suggestions', () => {
  assert.deepEqual(segmentationCandidates('phantom_ct_seg.nii.gz', ['phantom_ct.nii.gz']), []);
});

test('Segment Organs names its output <stem>_seg.nii.gz, which the viewer then offers first', () => {
  assert.equal(segmentationFileName('phantom_ct.nii.gz'), 'phantom_ct_seg.nii.gz');
  assert.equal(segmentationFileName('scan.NII'), 'scan_seg.nii.gz');
  assert.deepEqual(segmentationCandidates('scan.NII', ['a_mask.nii', segmentationFileName('scan.NII')]), ['scan_seg.nii.gz', 'a_mask.nii']);
});
