import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkDataset, DatasetError, openDataset } from '../../../../src/node/datasets/index.js';
import { coordsMapPathFor, isCoordsMapName } from '../../../../src/node/datasets/layouts.js';
import { writeNiftiFile } from '../../../../src/node/nifti/index.js';

const root = mkdtempSync(join(tmpdir(), 'anadiff-datasets-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Creates a folder with the given (empty) files; layouts only look at names. */
function folder(name: string, files: string[]): string {
  const dir = join(root, name);
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), '');
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const ids = (d: { cases: readonly { id: string }[] }) => d.cases.map((c) => c.id);

test('coordinate maps (`<case>_coords.nii.gz`) are named as such and found next to their CT', () => {
  assert.equal(isCoordsMapName('synth_0003_coords.nii.gz'), true);
  assert.equal(isCoordsMapName('/a/b/x_coords.nii'), true);
  assert.equal(isCoordsMapName('synth_0003_ct.nii.gz'), false);
  assert.equal(isCoordsMapName('coords.json'), false);
  assert.equal(coordsMapPathFor('/d/synth_0003_ct.nii.gz'), join('/d', 'synth_0003_coords.nii.gz'));
  assert.equal(coordsMapPathFor('/d/scan.nii'), join('/d', 'scan_coords.nii.gz'));
});

test('BTCV layout pairs img/imgXXXX with label/labelXXXX', async () => {
  const dir = folder('btcv', ['img/img0002.nii.gz', 'img/img0001.nii.gz', 'label/label0001.nii.gz', 'label/label0002.nii.gz']);
  const d = await openDataset(dir);
  assert.equal(d.layout, 'btcv');
  assert.deepEqual(ids(d), ['0001', '0002']);
  assert.equal(d.cases[0]!.label, join(dir, 'label/label0001.nii.gz'));
});

test('BTCV layout names the image that has no label', async () => {
  const dir = folder('btcv-missing', ['img/img0001.nii.gz', 'img/img0003.nii.gz', 'label/label0001.nii.gz']);
  await assert.rejects(openDataset(dir), (e: unknown) => e instanceof DatasetError && e.path.endsWith('img0003.nii.gz') && /no label/.test(e.message));
});

test('MSD dataset.json training list, with class names', async () => {
  const dir = folder('msd', ['imagesTr/spleen_2.nii.gz', 'labelsTr/spleen_2.nii.gz']);
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({
    labels: { 0: 'background', 1: 'spleen' },
    training: [{ image: './imagesTr/spleen_2.nii.gz', label: './labelsTr/spleen_2.nii.gz' }],
  }));
  const d = await openDataset(dir);
  assert.equal(d.layout, 'msd');
  assert.deepEqual(ids(d), ['spleen_2']);
  assert.equal(d.classNames?.['1'], 'spleen');
});

test('MSD dataset.json listing a missing file names it', async () => {
  const dir = folder('msd-bad', ['imagesTr/a.nii.gz']);
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ training: [{ image: './imagesTr/a.nii.gz', label: './labelsTr/a.nii.gz' }] }));
  await assert.rejects(openDataset(dir), (e: unknown) => e instanceof DatasetError && e.path.endsWith(join('labelsTr', 'a.nii.gz')));
  writeFileSync(join(dir, 'dataset.json'), '{ not json');
  await assert.rejects(openDataset(dir), (e: unknown) => e instanceof DatasetError && e.path.endsWith('dataset.json'));
});

test('nnU-Net v2 dataset.json: channel 0000 images paired with labelsTr by case name', async () => {
  const dir = folder('nnunet', ['imagesTr/abd_001_0000.nii.gz', 'imagesTr/abd_001_0001.nii.gz', 'imagesTr/abd_002_0000.nii.gz', 'labelsTr/abd_001.nii.gz', 'labelsTr/abd_002.nii.gz']);
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ channel_names: { 0: 'CT' }, labels: { background: 0, liver: 1 }, file_ending: '.nii.gz' }));
  const d = await openDataset(dir);
  assert.equal(d.layout, 'msd');
  assert.deepEqual(ids(d), ['abd_001', 'abd_002']);
  assert.equal(d.classNames?.['1'], 'liver');
  assert.ok(d.cases[0]!.image.endsWith('abd_001_0000.nii.gz'));
});

test('imagesTr/labelsTr without dataset.json; a stray label is named', async () => {
  const dir = folder('il', ['imagesTr/x.nii.gz', 'labelsTr/x.nii.gz']);
  assert.equal((await openDataset(dir)).layout, 'images-labels');
  writeFileSync(join(dir, 'labelsTr/y.nii.gz'), '');
  await assert.rejects(openDataset(dir), (e: unknown) => e instanceof DatasetError && e.path.endsWith(join('labelsTr', 'y.nii.gz')));
});

test('flat folder of _ct/_seg pairs (as anadiff synth writes), and of other suffixes', async () => {
  const dir = folder('pairs', ['synth_0000_ct.nii.gz', 'synth_0000_seg.nii.gz', 'synth_0001_ct.nii.gz', 'synth_0001_seg.nii.gz', 'synth_0000.json', 'synth_0000_coords.nii.gz']);
  const d = await openDataset(dir);
  assert.equal(d.layout, 'pairs');
  assert.deepEqual(ids(d), ['synth_0000', 'synth_0001']);
  assert.ok(d.cases[1]!.label!.endsWith('synth_0001_seg.nii.gz'));
  const other = folder('pairs2', ['case1.nii.gz', 'case1_label.nii', 'case2_image.nii.gz', 'case2_mask.nii.gz']);
  assert.deepEqual(ids(await openDataset(other)), ['case1', 'case2']);
  const orphan = folder('pairs3', ['a_ct.nii.gz', 'a_seg.nii.gz', 'b_ct.nii.gz']);
  await assert.rejects(openDataset(orphan), (e: unknown) => e instanceof DatasetError && e.path.endsWith('b_ct.nii.gz'));
});

test('unlabeled folders, and empty ones', async () => {
  const d = await openDataset(folder('unlabeled', ['scan_a.nii.gz', 'scan_b.nii', '.hidden.nii.gz', 'notes.txt', 'scan_a_coords.nii.gz']));
  assert.equal(d.layout, 'unlabeled');
  assert.deepEqual(ids(d), ['scan_a', 'scan_b']);
  assert.equal(d.cases[0]!.label, undefined);
  await assert.rejects(openDataset(folder('empty', ['readme.md'])), /no NIfTI cases/);
  await assert.rejects(openDataset(join(root, 'nowhere')), /not a folder/);
});

test('checkDataset reads headers and names a label off its image grid, or a broken file', async () => {
  const dir = join(root, 'check');
  mkdirSync(dir, { recursive: true });
  const grid = (dims: [number, number, number]) => ({ dims, ijkToRas: [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1], data: new Uint8Array(dims[0] * dims[1] * dims[2]) });
  await writeNiftiFile(join(dir, 'a_ct.nii.gz'), grid([4, 4, 4]));
  await writeNiftiFile(join(dir, 'a_seg.nii.gz'), grid([4, 4, 4]));
  await checkDataset(await openDataset(dir));
  await writeNiftiFile(join(dir, 'b_ct.nii.gz'), grid([4, 4, 4]));
  await writeNiftiFile(join(dir, 'b_seg.nii.gz'), grid([4, 4, 5]));
  await assert.rejects(checkDataset(await openDataset(dir)), (e: unknown) => e instanceof DatasetError && e.path.endsWith('b_seg.nii.gz') && /grid/.test(e.message));
  writeFileSync(join(dir, 'b_seg.nii.gz'), 'garbage');
  await assert.rejects(checkDataset(await openDataset(dir)), (e: unknown) => e instanceof DatasetError && e.path.endsWith('b_seg.nii.gz') && /header/.test(e.message));
});
