// Where the harness keeps things. Everything it downloads or generates lives in ignored folders
// of the repository (`.cache/`, `.sample/`, `test-results/`), never in the user's home.
import * as path from 'node:path';

/** The repository root (this file is test/harness/paths.ts). */
export const repoRoot = path.resolve(__dirname, '..', '..');
export const cacheDir = path.join(repoRoot, '.cache');
export const resultsDir = path.join(repoRoot, 'test-results');
/** Real data, present on the development machine only; tests skip what needs it when absent. */
export const sharedDataDir = path.resolve(repoRoot, '..', 'shared', 'data');

export const codeServerVersion = '4.139.1';
/** code-server 4.139 needs Node 24 (`registerHooks` in node:module); npm publishes it as a package. */
export const nodeVersion = '24.9.0';
