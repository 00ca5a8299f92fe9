/**
 * The input warnings on real CTs with the default model's preprocessing: the abdominal CTs in ../shared/data (subject
 * A at 3 mm, its 30-slice cut, a TotalSegmentator case at 1.5 mm) give none; skipped when ../shared/data is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ctInputProblems, ctInputStats } from '../../../../src/core/infer/ct-input.js';
import { inputWarnings, trustFacts } from '../../../../src/core/infer/trust.js';
import { readNiftiFile } from '../../../../src/node/nifti/index.js';
import { parseModelMetadata } from '../../../../src/node/segment/model-metadata.js';
import { prepareSegmentation } from '../../../../src/node/segment/segment-volume.js';

const ROOT = resolve(__dirname, '../../../..');
const DATA = resolve(ROOT, '../shared/data');
const model = parseModelMetadata(JSON.parse(readFileSync(join(ROOT, 'models/default/model.json'), 'utf8')), 'models/default/model.json');

for (const file of ['totalsegmentator/example_ct.nii.gz', 'totalsegmentator/example_ct_sm.nii.gz', 'totalsegmentator-dataset/s0002_ct.nii.gz']) {
  const path = join(DATA, file);
  test(`${file}: a real abdominal CT gives no input warning`, { skip: existsSync(path) ? false : `${path} absent` }, async () => {
    const ct = await readNiftiFile(path);
    const stats = ctInputStats(ct.data);
    assert.deepEqual(ctInputProblems({ dims: ct.dims, frames: 1, data: ct.data }, stats), []);
    const warnings = inputWarnings(trustFacts(prepareSegmentation(ct, model), model, stats.min));
    assert.deepEqual(warnings, []);
  });
}
