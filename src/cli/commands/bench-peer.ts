/**
 * What every benchmark with a peer needs: find a Python that has the peer's modules, find the peer scripts, and run
 * one side in its own process (honest peak RSS) whose last stdout line is its JSON result.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from '../command.js';

/** scripts/torch/NAME, found upward from this file (works from src/ under tsx and from dist/cli.js). */
export function peerScriptPath(name: string): string {
  for (let dir = __dirname, i = 0; i < 6; i++, dir = dirname(dir)) {
    const p = join(dir, 'scripts', 'torch', name);
    if (existsSync(p)) return p;
  }
  throw new CliError(`scripts/torch/${name} not found next to the CLI`);
}

/**
 * The first Python whose `import` of `modules` (e.g. "torch", "numpy, scipy.ndimage, nibabel") works: --python,
 * $ANADIFF_PYTHON, Debian's /usr/bin/python3, python3.
 */
export function findPython(command: string, modules: string, explicit?: string): string {
  const candidates = explicit ? [explicit] : [process.env.ANADIFF_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const c of candidates) {
    if (spawnSync(c, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0) return c;
  }
  throw new CliError(`${command}: no Python with ${modules} found (tried ${candidates.join(', ')}); pass --python PATH or --only anadiff`);
}

/**
 * Runs one side and returns its last stdout line parsed as a JSON object; a failure names the command and the side
 * and quotes the end of the child's stderr (or why it could not start).
 */
export function runJsonChild(command: string, what: string, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Record<string, unknown> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 << 20, ...(env ? { env } : {}) });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    const why = r.error?.message ?? (r.stderr ?? '').trim().split('\n').slice(-3).map((l) => l.replace(/^anadiff: /, '')).join(' | ');
    throw new CliError(`${command}: the ${what} side failed (exit ${r.status ?? r.signal}): ${why || last}`);
  }
  const parsed: unknown = JSON.parse(last);
  if (typeof parsed !== 'object' || parsed === null) throw new CliError(`${command}: the ${what} side printed no result: ${last}`);
  return parsed as Record<string, unknown>;
}

/** runJsonChild for a side whose result must at least carry `median_ms` (every benchmark side's JSON line does). */
export function runTimedSide<T extends { median_ms: number }>(command: string, what: string, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): T {
  const parsed = runJsonChild(command, what, cmd, args, env);
  if (typeof parsed.median_ms !== 'number') throw new CliError(`${command}: the ${what} side printed no result: ${JSON.stringify(parsed)}`);
  return parsed as unknown as T;
}
