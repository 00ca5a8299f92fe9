#!/usr/bin/env node
// Entry of the `vscode` test stage (scripts/test.mjs calls it). The harness is TypeScript, run by tsx
// in a child Node; this shim waits for it. A Ctrl-C reaches both (same process group): the child
// cleans up code-server and Chromium, so the shim only ignores the signal and waits.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'main.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: join(here, '..', '..'),
});
for (const signal of ['SIGINT', 'SIGHUP']) process.on(signal, () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
