import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { acquireRunLock, readRunLock, RunLockedError, RUN_LOCK_FILE } from '../../../../src/node/runs/run-lock.js';

const freshDir = (): string => mkdtempSync(join(tmpdir(), 'anadiff-lock-'));

test('a second writer is refused with the holder named; release frees the folder', () => {
  const dir = freshDir();
  const lock = acquireRunLock(dir, 'train');
  assert.throws(() => acquireRunLock(dir, 'resume'), (error: unknown) => {
    assert.ok(error instanceof RunLockedError);
    assert.match(error.message, new RegExp(`in use by train \\(pid ${process.pid}`));
    return true;
  });
  assert.equal(readRunLock(dir)?.alive, true);
  lock.release();
  lock.release();
  assert.equal(existsSync(join(dir, RUN_LOCK_FILE)), false);
  acquireRunLock(dir, 'resume').release();
});

test('a lock whose pid is gone on this host is stale and taken over', () => {
  const dir = freshDir();
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const deadPid = Number(child.stdout.toString());
  const host = JSON.parse(JSON.stringify(readRunLockHost()));
  writeFileSync(join(dir, RUN_LOCK_FILE), JSON.stringify({ format: 'anadiff-run-lock', pid: deadPid, host, kind: 'train', startedAt: 'x' }));
  assert.equal(readRunLock(dir)?.alive, false);
  const lock = acquireRunLock(dir, 'resume');
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
  lock.release();
});

test('a lock from another host is never taken over; the error says which file to remove', () => {
  const dir = freshDir();
  writeFileSync(join(dir, RUN_LOCK_FILE), JSON.stringify({ format: 'anadiff-run-lock', pid: 1, host: 'gpu-node-7', kind: 'train', startedAt: 'x' }));
  assert.equal(readRunLock(dir)?.alive, undefined);
  assert.throws(() => acquireRunLock(dir, 'train'), /host gpu-node-7.*remove .*run\.lock/);
});

test('release leaves a lock that someone else took after a takeover', () => {
  const dir = freshDir();
  const lock = acquireRunLock(dir, 'train');
  const host = readRunLock(dir)!.host;
  writeFileSync(lock.path, JSON.stringify({ format: 'anadiff-run-lock', pid: process.pid, host, kind: 'resume', startedAt: 'later' }));
  lock.release();
  assert.equal(readRunLock(dir)?.kind, 'resume');
});

test('two processes racing for one folder: exactly one wins', async () => {
  const dir = freshDir();
  const script = `
    import('${pathToFileURL(resolve('src/node/runs/run-lock.ts')).href}').then((m) => { const { acquireRunLock } = m.acquireRunLock ? m : m.default;
      try { acquireRunLock(${JSON.stringify(dir)}, 'train'); process.stdout.write('won'); process.stdin.resume(); }
      catch (e) { process.stdout.write('lost: ' + e.message); }
    });`;
  // The winner holds the lock until its stdin closes, which happens only once every racer has answered, so a late
  // starter cannot find a dead winner's stale lock and take it over.
  const children = [0, 1, 2].map(() => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]));
  const outcomes = await Promise.all(
    children.map(
      (child) =>
        new Promise<string>((resolve) => {
          let out = '';
          child.stdout.on('data', (d) => {
            out += d;
            resolve(out);
          });
          child.on('close', () => resolve(out));
        }),
    ),
  );
  for (const child of children) child.stdin.end();
  assert.equal(outcomes.filter((o) => o === 'won').length, 1, outcomes.join(' | '));
  for (const o of outcomes.filter((o) => o !== 'won')) assert.match(o, /^lost: run folder .* is in use by train/);
});

test('process.exit (a second Ctrl-C) releases the lock; SIGKILL leaves a stale one', () => {
  const url = pathToFileURL(resolve('src/node/runs/run-lock.ts')).href;
  const exits = freshDir();
  const script = (dir: string, end: string): string => `
    import('${url}').then((m) => { (m.acquireRunLock ?? m.default.acquireRunLock)(${JSON.stringify(dir)}, 'train'); ${end}; });`;
  const exited = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(exits, 'process.exit(130)')]);
  assert.equal(exited.status, 130, exited.stderr.toString());
  assert.equal(existsSync(join(exits, RUN_LOCK_FILE)), false);
  const killed = freshDir();
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(killed, "process.kill(process.pid, 'SIGKILL')")]);
  assert.equal(child.signal, 'SIGKILL');
  assert.equal(readRunLock(killed)?.alive, false);
});

function readRunLockHost(): string {
  const dir = freshDir();
  const lock = acquireRunLock(dir, 'probe');
  const host = readRunLock(dir)!.host;
  lock.release();
  return host;
}
