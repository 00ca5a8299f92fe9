// `anadiff submit --slurm` and `anadiff runs` against a real single-node Slurm (Debian's slurm-wlm and munge, which
// scripts/setup-system.sh installs as root): munged, slurmctld and slurmd are started here on free ports with a
// minimal slurm.conf in a temporary folder, a tiny training array of 2 is submitted, both tasks must finish with
// their run folders complete and `anadiff runs` must say so; a long job is cancelled with `anadiff runs cancel`.
// Skipped, with the reason, when not root, when Slurm is not installed, or when its daemons cannot start here.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const REPO_ROOT = join(__dirname, '..', '..');
const CLI = join(REPO_ROOT, 'bin', 'anadiff.js');
const tiny = ['--phantom', '--preset', 'tiny', '--spacing', '8x8x10', '--patch', '24x24x12', '--batch', '1', '--warmup', '2',
  '--lr', '3e-3', '--epochs', '1', '--steps-per-epoch', '2', '--checkpoint-every', '1', '--threads', '1'];

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
let skipReason: string | undefined;
if (process.getuid?.() !== 0) skipReason = 'not root: Slurm daemons cannot be started';
else if (!['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol'].every(have)) skipReason = 'slurm-wlm and munge are not installed (scripts/setup-system.sh installs them as root)';
else if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) skipReason = 'dist/cli.js missing (npm run build)';

const root = mkdtempSync(join(os.tmpdir(), 'anadiff-slurm-'));
const conf = join(root, 'slurm.conf');
const env = { ...process.env, SLURM_CONF: conf };
const daemons: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function anadiff(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: root, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s`);
}

let startedMunged = false;

/** Munge's key and daemon: reuses a running munged, otherwise starts one (and stops it at the end). */
function ensureMunge(): void {
  if (spawnSync('sh', ['-c', 'munge -n | unmunge'], { stdio: 'ignore' }).status === 0) return;
  const key = '/etc/munge/munge.key';
  if (!existsSync(key)) {
    mkdirSync('/etc/munge', { recursive: true });
    writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256))));
  }
  const munge = spawnSync('id', ['-u', 'munge'], { encoding: 'utf8' });
  const uid = Number(munge.stdout.trim());
  for (const dir of ['/etc/munge', '/var/log/munge', '/var/lib/munge', '/run/munge']) {
    mkdirSync(dir, { recursive: true });
    if (Number.isInteger(uid)) chownSync(dir, uid, uid);
  }
  if (Number.isInteger(uid)) chownSync(key, uid, uid);
  chmodSync(key, 0o400);
  const r = spawnSync('munged', ['--force'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`munged did not start: ${r.stderr.trim()}`);
  startedMunged = true;
}

before(async () => {
  if (skipReason) return;
  try {
    ensureMunge();
    const host = os.hostname().split('.')[0] ?? 'localhost';
    const memMb = Math.max(1024, Math.floor(os.totalmem() / 2 ** 20) - 2048);
    for (const d of ['state', 'spool', 'log']) mkdirSync(join(root, d));
    writeFileSync(conf, [
      'ClusterName=anadiff-test', `SlurmctldHost=${host}`, 'SlurmUser=root', 'SlurmdUser=root',
      `SlurmctldPort=${await freePort()}`, `SlurmdPort=${await freePort()}`, 'AuthType=auth/munge',
      `StateSaveLocation=${root}/state`, `SlurmdSpoolDir=${root}/spool`,
      `SlurmctldPidFile=${root}/slurmctld.pid`, `SlurmdPidFile=${root}/slurmd.pid`,
      `SlurmctldLogFile=${root}/log/slurmctld.log`, `SlurmdLogFile=${root}/log/slurmd.log`,
      'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none', 'JobCompType=jobcomp/none', 'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core', 'ReturnToService=2', 'MpiDefault=none', 'MinJobAge=600',
      `NodeName=${host} CPUs=${os.cpus().length} RealMemory=${memMb} State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4`, '',
    ].join('\n'));
    for (const daemon of ['slurmctld', 'slurmd']) {
      const child = spawn(daemon, ['-D'], { env, stdio: 'ignore', detached: true });
      daemons.push(child);
    }
    await waitFor('the Slurm node did not become idle', 30_000, () => {
      const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' });
      return r.status === 0 && /idle|mixed/.test(r.stdout) ? true : undefined;
    });
  } catch (err) {
    const logs = ['slurmctld', 'slurmd'].map((d) => join(root, 'log', `${d}.log`)).filter(existsSync)
      .map((f) => readFileSync(f, 'utf8').trim().split('\n').slice(-3).join(' | ')).join(' || ');
    skipReason = `Slurm could not start on this machine: ${(err as Error).message}${logs ? ` (${logs})` : ''}`;
  }
});

after(async () => {
  for (const d of daemons) if (d.pid) try { process.kill(-d.pid, 'SIGKILL'); } catch { /* gone */ }
  if (startedMunged) spawnSync('pkill', ['-x', 'munged']);
  // slurmscriptd and the steps of a cancelled job end shortly after their daemon: leave nothing behind.
  await waitFor('Slurm processes outlived the test', 15_000, () => (spawnSync('pgrep', ['-x', 'slurmscriptd|slurmstepd']).status === 0 ? undefined : true)).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

interface RunsJson { runs: { name: string; dir: string; folder: string; bestDice?: number; slurm?: { jobId: string; state: string } }[] }
const runs = (): RunsJson => JSON.parse(anadiff(['runs', '--runs-root', join(root, 'runs'), '--json']).stdout) as RunsJson;

test('a training array of 2 runs to the end under Slurm; anadiff runs shows both tasks done', { timeout: 300_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const submitted = anadiff(['submit', '--slurm', '--array', '0-1', '--cpus', '1', '--runs-root', join(root, 'runs'), '--', 'train', ...tiny, '--seed', '{task}']);
  assert.equal(submitted.status, 0, submitted.stderr);
  const jobId = /submitted Slurm job (\d+)/.exec(submitted.stdout)?.[1];
  assert.ok(jobId, submitted.stdout);
  const finished: RunsJson['runs'] = await waitFor('the two tasks did not finish', 240_000, () => {
    const rows = runs().runs;
    return rows.length === 2 && rows.every((r) => r.slurm && ['done', 'failed', 'cancelled'].includes(r.slurm.state)) ? rows : undefined;
  });
  for (const [i, row] of finished.entries()) {
    const out: string = readFileSync(join(row.dir, '..', `slurm-${jobId}_${i}.out`), 'utf8');
    assert.equal(row.slurm?.jobId, `${jobId}_${i}`);
    assert.equal(row.slurm?.state, 'done', `task ${i}: ${out.slice(-400)}`);
    assert.equal(row.folder, 'done');
    assert.ok(existsSync(join(row.dir, 'model.onnx')), `task ${i} exported its model`);
    const config = JSON.parse(readFileSync(join(row.dir, 'config.json'), 'utf8')) as { seed: number };
    assert.equal(config.seed, i, '{task} reached the job as its seed');
  }
  const table = anadiff(['runs', '--runs-root', join(root, 'runs')]);
  assert.match(table.stdout, new RegExp(`task-0 +done .*${jobId}_0 COMPLETED`));
});

test('anadiff runs cancel stops a running job through scancel', { timeout: 120_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const runsRoot = join(root, 'runs-cancel');
  const submitted = anadiff(['submit', '--slurm', '--runs-root', runsRoot, '--', 'train', ...tiny.map((a) => (a === '2' ? '100000' : a))]);
  assert.equal(submitted.status, 0, submitted.stderr);
  const row = await waitFor('the job did not start', 60_000, () => {
    const r = JSON.parse(anadiff(['runs', '--runs-root', runsRoot, '--json']).stdout) as RunsJson;
    return r.runs[0]?.slurm?.state === 'running' ? r.runs[0] : undefined;
  });
  const cancelled = anadiff(['runs', 'cancel', row.dir]);
  assert.equal(cancelled.status, 0, cancelled.stderr);
  await waitFor('the job was not cancelled', 60_000, () => {
    const r = JSON.parse(anadiff(['runs', '--runs-root', runsRoot, '--json']).stdout) as RunsJson;
    return r.runs[0]?.slurm?.state === 'cancelled' ? true : undefined;
  });
});

test('submit refuses bad scheduler options before creating anything', (t) => {
  if (skipReason) return t.skip(skipReason);
  const runsRoot = join(root, 'runs-bad');
  for (const args of [['--array', '3-1'], ['--time', 'soon'], ['--mem', 'lots'], ['--gpus', '0']]) {
    const r = anadiff(['submit', '--slurm', ...args, '--runs-root', runsRoot, '--', 'train', '--phantom']);
    assert.notEqual(r.status, 0, `${args.join(' ')} was accepted`);
    assert.match(r.stderr, /^anadiff: .*(--array|--time|--mem|--gpus)/, r.stderr);
  }
  assert.ok(!existsSync(runsRoot), 'no run folder was created');
});
