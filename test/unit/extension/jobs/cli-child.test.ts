import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { startCli } from '../../../../src/extension/jobs/cli-child.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a detached child with an output file keeps running after its parent exits (a pipe would kill it with EPIPE)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-cli-child-'));
  try {
    const child = join(dir, 'child.js');
    const marks = join(dir, 'marks.txt');
    // writes to stderr, then records that it survived the write, six times over ~1.2 s
    writeFileSync(child, `const fs = require('fs'); let i = 0;
const t = setInterval(() => { i++; console.error('tick ' + i); fs.appendFileSync(${JSON.stringify(marks)}, i + '\\n'); if (i === 6) { clearInterval(t); process.exit(3); } }, 200);`);
    const parent = join(dir, 'parent.ts');
    writeFileSync(parent, `import { startCli } from ${JSON.stringify(resolve('src/extension/jobs/cli-child.ts'))};
startCli(${JSON.stringify(child)}, [], { cwd: ${JSON.stringify(dir)}, detached: true, outputFile: ${JSON.stringify(join(dir, 'out.log'))} });
setTimeout(() => process.exit(0), 300);`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', parent], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (let i = 0; i < 50 && !readFileSync(marks, { encoding: 'utf8', flag: 'a+' }).includes('6'); i++) await sleep(100);
    assert.equal(readFileSync(marks, 'utf8').trim().split('\n').length, 6, 'the child wrote all six ticks after its parent had exited');
    assert.match(readFileSync(join(dir, 'out.log'), 'utf8'), /tick 6/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stdout and stderr go to the output file; the exit carries its last lines as stderrTail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-cli-child-'));
  try {
    const child = join(dir, 'fail.js');
    writeFileSync(child, `console.log('out line'); console.error('something failed: reason'); process.exit(2);`);
    const job = startCli(child, [], { cwd: dir, outputFile: join(dir, 'out.log') });
    const exit = await job.done;
    assert.equal(exit.code, 2);
    assert.match(exit.stderrTail, /something failed: reason/);
    assert.equal(readFileSync(join(dir, 'out.log'), 'utf8'), 'out line\nsomething failed: reason\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
