// `anadiff train` stops on SIGTERM (the editor's Stop Run) as on Ctrl-C: after the current step, with a checkpoint and
// report.json status "stopped", exit 130. Without the handler SIGTERM killed it with neither.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(__dirname, '..', '..', '..', '..');

test('train: SIGTERM stops after the current step with a checkpoint and report.json "stopped" (exit 130)', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'anadiff-train-stop-'));
  const runDir = join(dir, 'run');
  try {
    const child = spawn(process.execPath, [
      '--import', 'tsx', 'src/cli/main.ts', 'train', '--phantom', '--preset', 'tiny', '--epochs', '1', '--steps-per-epoch', '50',
      '--patch', '32x32x16', '--spacing', '6x6x6', '--device', 'cpu', '--threads', '1', '--run-dir', runDir,
    ], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // wait for the first step line, then ask it to stop
    const metrics = join(runDir, 'metrics.jsonl');
    for (let i = 0; i < 1200 && !(existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"step"')); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    assert.equal(await exited, 130, stderr);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as { status: string; step: number };
    assert.equal(report.status, 'stopped');
    assert.ok(report.step < 50);
    assert.ok(readdirSync(join(runDir, 'checkpoints')).includes(`step-${String(report.step).padStart(8, '0')}.json`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
