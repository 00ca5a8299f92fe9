// Starts code-server (VS Code 1.139 in the browser) on a free 127.0.0.1 port with its own user-data and
// extensions folders, so it neither reads nor writes the user's ~/.config or ~/.local.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { CodeServerInstall } from './install.js';
import { killProcessGroup, trackProcessGroup } from './processes.js';

export interface StartOptions {
  readonly install: CodeServerInstall;
  /** Folder that holds this server's user-data, extensions, config and log (emptied first). */
  readonly stateDir: string;
  /** The workspace folder the workbench opens. */
  readonly workspace: string;
  /** Extra environment for the server and therefore for the extension host. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Start with `--vscode-option enable-smoke-test-driver`: without it the web workbench silently ignores the URL
   * payload's `extensionDevelopmentPath` and `extensionTestsPath`, so both `npm start` (which loads this folder as
   * the extension under development) and the tests need it. A server for an installed VSIX does not.
   */
  readonly developmentPayload?: boolean;
  /** Fixed port (npm start); a free one by default. */
  readonly port?: number;
  /** VSIX files to install into the isolated extensions folder before starting. */
  readonly installVsix?: readonly string[];

}

export interface WorkbenchUrlOptions {
  /** Load this folder as the extension under development. */
  readonly extensionDevelopmentPath?: string;
  /** The `run()` module the extension host executes as the test suite (needs `developmentPayload`). */
  readonly extensionTestsPath?: string;
}

export interface CodeServer {
  readonly port: number;
  readonly origin: string;
  readonly logFile: string;
  workbenchUrl(options?: WorkbenchUrlOptions): string;
  stop(): Promise<void>;
}

export class CodeServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodeServerError';
  }
}

/** User settings for a quiet, deterministic workbench. */
const userSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  // VS Code 1.139 opens an empty secondary side bar by default; it only takes room from the editor.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new CodeServerError('could not find a free port'))));
    });
  });
}

export async function startCodeServer(options: StartOptions): Promise<CodeServer> {
  const { install, stateDir } = options;
  rmSync(stateDir, { recursive: true, force: true });
  const userDataDir = path.join(stateDir, 'user-data');
  const extensionsDir = path.join(stateDir, 'extensions');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(userSettings, null, 2));
  const configFile = path.join(stateDir, 'config.yaml');
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  const logFile = path.join(stateDir, 'code-server.log');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    // code-server writes to ~/.local/share and ~/.config unless pointed elsewhere.
    XDG_DATA_HOME: path.join(stateDir, 'xdg-data'),
    XDG_CONFIG_HOME: path.join(stateDir, 'xdg-config'),
    XDG_CACHE_HOME: path.join(stateDir, 'xdg-cache'),
  };
  const common = ['--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--config', configFile];

  for (const vsix of options.installVsix ?? []) await installVsix(install, common, vsix, env);

  const port = options.port ?? await freePort();
  const args = [install.entry, '--bind-addr', `127.0.0.1:${port}`, ...common,
    ...(options.developmentPayload ? ['--vscode-option', 'enable-smoke-test-driver'] : []), options.workspace];
  const log = createWriteStream(logFile);
  // detached: a new process group, ended as a whole by killProcessGroup.
  const child = spawn(install.node, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new CodeServerError(`could not start ${install.node} ${install.entry}`);
  const pid = child.pid;
  trackProcessGroup(pid);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited: string | undefined;
  child.on('exit', (code, signal) => { exited = `exit ${code ?? signal}`; });

  const origin = `http://127.0.0.1:${port}`;
  const server: CodeServer = {
    port,
    origin,
    logFile,
    workbenchUrl(url = {}) {
      const remote = (p: string): string => `vscode-remote://127.0.0.1:${port}${p}`;
      const payload: [string, string][] = [['skipWelcome', 'true']];
      if (url.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(url.extensionDevelopmentPath)]);
      if (url.extensionTestsPath) payload.push(['extensionTestsPath', remote(url.extensionTestsPath)]);
      return `${origin}/?folder=${encodeURIComponent(options.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
    async stop() {
      await killProcessGroup(pid);
      log.end();
    },
  };
  try {
    await waitHealthy(origin, () => exited, 30_000);
  } catch (err) {
    await server.stop();
    throw new CodeServerError(`${err instanceof Error ? err.message : String(err)}; see ${logFile}`);
  }
  return server;
}

async function waitHealthy(origin: string, exited: () => string | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const gone = exited();
    if (gone) throw new CodeServerError(`code-server stopped during start-up (${gone})`);
    try {
      const response = await fetch(`${origin}/healthz`);
      if (response.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new CodeServerError(`code-server did not answer ${origin}/healthz within ${timeoutMs / 1000} s`);
}

async function installVsix(install: CodeServerInstall, common: readonly string[], vsix: string, env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(install.node, [install.entry, ...common, '--install-extension', vsix, '--force'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new CodeServerError(`could not run code-server --install-extension ${vsix}`);
  trackProcessGroup(pid);
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  await killProcessGroup(pid, 0);
  if (code !== 0) throw new CodeServerError(`code-server --install-extension ${vsix} failed (exit ${code}):\n${output.trim()}`);
}
