import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient, EngineError } from '../../../../src/node/engine/engine-client.js';
import { listCheckpointSteps } from '../../../../src/node/engine/checkpoint-store.js';
import type { TrainRequestParams, TrainerEvent } from '../../../../src/protocol/engine.js';

function losses(runDir: string): number[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
}
function tempDir(t: { after: (fn: () => void) => void }, tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `anadiff-${tag}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
// Large enough that a step takes milliseconds (so a kill lands mid-run), small enough to keep the test fast.
const job = { kind: 'toy-linear', features: 64, batch: 1024 } as const;
const train = (runDir: string, over: Partial<TrainRequestParams> = {}): TrainRequestParams =>
  ({ job, runDir, steps: 60, checkpointEvery: 10, seed: 11, resume: true, provider: 'cpu', threads: 2, ...over });

test('worker thread: trains with progress events, answers probe, errors come back typed, shutdown is clean', async (t) => {
  const dir = tempDir(t, 'thread');
  const events: TrainerEvent[] = [];
  const client = new EngineClient({ onEvent: (e) => events.push(e) });
  t.after(() => client.dispose());
  const probe = await client.request('probe', {});
  assert.match(probe.onnxruntimeVersion, /^\d+\.\d+\.\d+$/);
  assert.ok(probe.backends.some((b) => b.name === 'cpu'));
  const run = client.request('train', train(dir, { steps: 12, checkpointEvery: 5 }));
  const result = await run;
  assert.equal(result.step, 12);
  const progress = events.filter((e) => e.kind === 'progress');
  assert.deepEqual(progress.map((e) => e.step), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.ok(progress.every((e) => e.requestId === run.id));
  assert.deepEqual(events.filter((e) => e.kind === 'checkpoint').map((e) => e.step), [5, 10, 12]);
  // A bad request is answered with the error, typed by name, and the worker keeps serving.
  await assert.rejects(client.request('train', train(dir, { steps: 0 })), (e: Error) => e.name === 'TrainerError' && /steps must be/.test(e.message));
  await client.shutdown();
  await assert.rejects(client.request('probe', {}), EngineError);
});

test('cancel stops a run between steps with a checkpoint; dispose rejects pending requests', async (t) => {
  const dir = tempDir(t, 'cancel');
  const client = new EngineClient({
    onEvent: (e) => { if (e.kind === 'progress' && e.step === 3) void client.request('cancel', { trainId: run.id }); },
  });
  t.after(() => client.dispose());
  const run = client.request('train', train(dir, { steps: 1000 }));
  const result = await run;
  assert.equal(result.stoppedBy, 'cancelled');
  assert.ok(result.step >= 3 && result.step < 1000);
  assert.deepEqual(listCheckpointSteps(join(dir, 'checkpoints')).at(-1), result.step);
  const pending = assert.rejects(client.request('train', train(dir, { steps: 100000 })), /disposed/);
  await client.dispose();
  await pending;
});

test('SIGKILL of the worker process loses at most the steps since the last checkpoint; resume matches an uninterrupted run', async (t) => {
  const killed = tempDir(t, 'killed');
  const whole = tempDir(t, 'whole');

  const reference = new EngineClient({ mode: 'process' });
  t.after(() => reference.dispose());
  await reference.request('train', train(whole));
  await reference.shutdown();

  const victim = new EngineClient({
    mode: 'process',
    onEvent: (e) => { if (e.kind === 'progress' && e.step >= 25) victim.child?.kill('SIGKILL'); },
  });
  t.after(() => victim.dispose());
  await assert.rejects(victim.request('train', train(killed)), /exited \(SIGKILL\)/);
  const doneSteps = losses(killed).length;
  const lastCheckpoint = listCheckpointSteps(join(killed, 'checkpoints')).at(-1) ?? 0;
  assert.ok(doneSteps >= 25 && doneSteps < 60, `killed mid-run (after ${doneSteps} steps)`);
  assert.ok(doneSteps - lastCheckpoint <= 10, `lost ${doneSteps - lastCheckpoint} steps, checkpoint every 10`);

  const resumer = new EngineClient({ mode: 'process' });
  t.after(() => resumer.dispose());
  const result = await resumer.request('train', train(killed));
  await resumer.shutdown();
  assert.equal(result.resumedFrom, lastCheckpoint);
  assert.equal(result.step, 60);
  assert.deepEqual(losses(killed), losses(whole));
});
