/** The path checks every command runs before work: same file by path, hard link and symlink; folders; probes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInputFile, checkOutputFile, checkOutputFolder, PathCheckError, sameFile } from '../../../../src/node/io/output-path.js';

test('sameFile by real path and by inode; checkOutputFile refuses inputs, folders, missing folders, existing files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-outpath-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = join(dir, 'a.nii'), b = join(dir, 'b.nii');
  writeFileSync(a, 'a');
  writeFileSync(b, 'a');
  linkSync(a, join(dir, 'hard.nii'));
  symlinkSync(a, join(dir, 'soft.nii'));
  assert.equal(sameFile(a, join(dir, 'hard.nii')), true);
  assert.equal(sameFile(a, join(dir, 'soft.nii')), true);
  assert.equal(sameFile(a, join(dir, '.', 'a.nii')), true);
  assert.equal(sameFile(a, b), false, 'equal bytes are not the same file');
  assert.equal(sameFile(a, join(dir, 'absent.nii')), false);

  const check = (path: string, overwrite = true) => () => checkOutputFile(path, { flag: '--output', overwrite, inputs: [a] });
  assert.throws(check(join(dir, 'hard.nii')), /--output .*hard\.nii is the input file/);
  assert.throws(check(b, false), /--output .*b\.nii exists; pass --overwrite/);
  check(b)();
  check(join(dir, 'new.nii'), false)();
  assert.throws(check(dir), /is a directory; give a file name/);
  assert.throws(check(join(dir, 'none', 'x.nii')), /the folder .*none does not exist/);
  assert.throws(check(join(a, 'x.nii')), (e: Error) => e instanceof PathCheckError && /a\.nii is not a folder/.test(e.message));
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('probe')), [], 'probes are removed');

  checkOutputFolder(join(dir, 'runs', 'deep', 'er'), '--run-dir');
  mkdirSync(join(dir, 'runs'));
  checkOutputFolder(join(dir, 'runs'), '--run-dir');
  assert.throws(() => checkOutputFolder(a, '--out'), /--out .*a\.nii is a file, not a folder/);
  assert.throws(() => checkInputFile(dir, '--input'), /is a directory, not a file/);
  assert.throws(() => checkInputFile(join(dir, 'absent'), '--input'), /--input .*absent: no such file/);
});
