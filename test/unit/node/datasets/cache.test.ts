import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makePhantom } from '../../../../src/core/phantom/index.js';
import { cacheKey, cleanCache, preprocessCached, type DatasetCase } from '../../../../src/node/datasets/index.js';
import { writeNiftiFile } from '../../../../src/node/nifti/index.js';
import { isAtomicTempFile } from '../../../../src/node/io/atomic-write.js';

const root = mkdtempSync(join(tmpdir(), 'anadiff-cache-'));
const cacheDir = join(root, 'cache');
const c: DatasetCase = { id: 'phantom', image: join(root, 'phantom_ct.nii.gz'), label: join(root, 'phantom_seg.nii.gz') };
const options = { spacingMm: [4, 4, 6] as const }; // coarse: keeps the test fast

before(async () => {
  const p = makePhantom({ size: 'small', seed: 2 });
  await writeNiftiFile(c.image, p.image);
  await writeNiftiFile(c.label!, p.labels);
});
after(() => rmSync(root, { recursive: true, force: true }));

const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test('miss computes and stores; hit returns identical data and geometry', async () => {
  const first = await preprocessCached(cacheDir, c, options);
  assert.equal(first.hit, false);
  assert.ok(existsSync(join(cacheDir, `${first.key}.safetensors`)) && existsSync(join(cacheDir, `${first.key}.json`)));
  const second = await preprocessCached(cacheDir, c, options);
  assert.equal(second.hit, true);
  assert.equal(second.key, first.key);
  assert.ok(same(second.value.image.data, first.value.image.data));
  assert.ok(same(second.value.labels!.data, first.value.labels!.data));
  assert.ok(same(second.value.bodyMask.data, first.value.bodyMask.data));
  assert.deepEqual(second.value.image.dims, first.value.image.dims);
  assert.deepEqual(second.value.image.ijkToRas, first.value.image.ijkToRas);
  assert.deepEqual(second.value.toSourceIjk, first.value.toSourceIjk);
  assert.deepEqual(second.value.box, first.value.box);
  const meta = JSON.parse(readFileSync(join(cacheDir, `${first.key}.json`), 'utf8')) as { params: { spacingMm: number[]; huWindow: number[] } };
  assert.deepEqual(meta.params.spacingMm, [4, 4, 6]);
  assert.deepEqual(meta.params.huWindow, [-1350, 1000]);
});

test('the key follows content and parameters, not names; explicit defaults equal omitted ones', async () => {
  const base = await cacheKey(c, options);
  assert.notEqual(await cacheKey(c, { ...options, huWindow: [-1000, 1000] }), base);
  assert.notEqual(await cacheKey({ ...c, label: undefined } as unknown as DatasetCase, options), base);
  assert.equal(await cacheKey(c, { ...options, huWindow: [-1350, 1000], maskConnectivity: 26 }), base);
  // Same bytes under another name: same key.
  const copy = join(root, 'copy_ct.nii.gz');
  writeFileSync(copy, readFileSync(c.image));
  assert.equal(await cacheKey({ ...c, image: copy }, options), base);
  // Changed content: a miss.
  const p = makePhantom({ size: 'small', seed: 3 });
  const changed = join(root, 'changed_ct.nii.gz');
  await writeNiftiFile(changed, p.image);
  const r = await preprocessCached(cacheDir, { ...c, image: changed }, options);
  assert.equal(r.hit, false);
  assert.notEqual(r.key, base);
});

test('an interrupted write never reads back: leftovers miss, are rewritten, and temp files are cleaned', async () => {
  const key = await cacheKey(c, options);
  const tensors = join(cacheDir, `${key}.safetensors`), meta = join(cacheDir, `${key}.json`);
  // Killed between the two renames: tensors without JSON, plus a temp file from a write in progress.
  unlinkSync(meta);
  writeFileSync(join(cacheDir, `.${key}.json.tmp-123-abcd0123`), '{"partial":');
  const afterCrash = await preprocessCached(cacheDir, c, options);
  assert.equal(afterCrash.hit, false);
  assert.equal((await preprocessCached(cacheDir, c, options)).hit, true);
  // Damaged tensors under a complete JSON: recomputed instead of returning garbage.
  truncateSync(tensors, 100);
  const repaired = await preprocessCached(cacheDir, c, options);
  assert.equal(repaired.hit, false);
  assert.equal((await preprocessCached(cacheDir, c, options)).hit, true);
  assert.equal(await cleanCache(cacheDir, 0), 1);
  assert.ok(readdirSync(cacheDir).every((n) => !isAtomicTempFile(n)));
});
