// `npm start` (via scripts/start.mjs, after the build): code-server on 127.0.0.1 with this extension and
// the sample workspace in .sample/, until Ctrl-C. The URL loads this folder as the extension under
// development (the same payload the tests use), so "Developer: Reload Window" picks up a rebuild; the
// server therefore starts with the development payload enabled, without which the web workbench ignores
// it and opens VS Code without AnaDiff. (A symlink in the extensions folder is recorded by code-server but
// not loaded.) test/user/npm-start.ts runs this script as a user would and checks the extension is there.
// Options: --port N (default 8080, or ANADIFF_PORT; a free port when busy), --state-dir DIR (the server's
// user-data, extensions and log; default .cache/start-server, emptied at each start).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureCodeServer } from './install.js';
import { cacheDir, repoRoot } from './paths.js';
import { freePort, startCodeServer } from './server.js';
import { prepareWorkspace } from './workspace.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, 'state-dir': { type: 'string' } } });
  const wanted = Number(values.port ?? process.env.ANADIFF_PORT ?? 8080);
  if (!Number.isInteger(wanted) || wanted <= 0 || wanted > 65535) throw new Error(`--port must be a TCP port number (got "${values.port ?? ''}")`);
  const install = ensureCodeServer();
  const workspace = prepareWorkspace(path.join(repoRoot, '.sample'), { fresh: false });
  const port = await isFree(wanted) ? wanted : await freePort();
  if (port !== wanted) console.log(`port ${wanted} is busy; using ${port}`);
  const stateDir = path.resolve(values['state-dir'] ?? path.join(cacheDir, 'start-server'));
  const server = await startCodeServer({
    install,
    stateDir,
    workspace: workspace.dir,
    port,
    developmentPayload: true,
  });
  console.log(`\nAnaDiff in VS Code (code-server), open:\n  ${server.workbenchUrl({ extensionDevelopmentPath: repoRoot })}\n`);
  console.log(`workspace ${workspace.dir}: ${Object.values(workspace.files).filter((f) => f).map((f) => path.basename(f ?? '')).join(', ') || '(empty)'}`);
  console.log(`server log ${server.logFile}\nCtrl-C to stop.`);
  // Keep running; processes.ts ends code-server's process group on Ctrl-C.
  await new Promise(() => undefined);
}

async function isFree(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
    return false;
  } catch {
    return true;
  }
}

main().catch((err: unknown) => {
  console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
