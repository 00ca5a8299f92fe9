// The `vscode` stage of `npm test`: integration suite in the real extension host, then the UI
// end-to-end tests, against one code-server, then the user journeys (npm start, the VSIX), each starting what a user
// starts. Options: --summary FILE, --only integration|e2e|user,
// --grep TEXT (mocha grep for integration, file-name filter for e2e), --keep-open, --no-build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { hasChromium, launchChromium } from './browser.js';
import { addCounts, emptyCounts, type Counts } from './counts.js';
import { runE2eTests } from './e2e.js';
import { runJourneys } from './journeys.js';
import { ensureCodeServer } from './install.js';
import { runIntegrationSuite } from './integration.js';
import { cacheDir, repoRoot, resultsDir } from './paths.js';
import { killAll } from './processes.js';
import { startCodeServer, type CodeServer } from './server.js';
import { prepareWorkspace } from './workspace.js';

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      summary: { type: 'string' },
      only: { type: 'string' },
      grep: { type: 'string' },
      'keep-open': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const only = values.only;
  if (only !== undefined && only !== 'integration' && only !== 'e2e' && only !== 'user') {
    console.error(`run-vscode: --only must be "integration", "e2e" or "user" (got "${only}")`);
    return 2;
  }
  const totals = emptyCounts();
  const startedAll = Date.now();
  // One folder per run: several harness runs (other contributors, an open `--keep-open`) may overlap.
  removeStaleRuns();
  const runDir = path.join(runsDir, `run-${process.pid}`);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  try {
    if (!hasChromium()) {
      console.log('vscode stage: SKIPPED, /usr/bin/chromium is absent (scripts/setup-system.sh installs it as root)');
      totals.skipped += 1;
      return 0;
    }
    // The suites run the bundles in dist/: a stale bundle would test old code (esbuild takes ~1 s).
    if (!values['no-build']) buildBundles();
    const install = ensureCodeServer();
    console.log(`code-server ready (${install.seconds.toFixed(1)} s)`);
    const workspace = prepareWorkspace(path.join(runDir, 'workspace'), { fresh: true });
    const env: Record<string, string> = { ANADIFF_TEST: '1', ANADIFF_TEST_WORKSPACE: workspace.dir };
    if (workspace.hasSharedData) env.ANADIFF_SHARED_DATA = path.resolve(repoRoot, '..', 'shared', 'data');
    if (values.grep) env.ANADIFF_TEST_GREP = values.grep;
    // Training runs the editor starts pause this long after each step: on a quiet machine the e2e smoke run (12 tiny
    // steps) would otherwise end before the test has seen it running and clicked Stop (src/node/engine/trainer.ts).
    env.ANADIFF_TEST_STEP_DELAY_MS = '1500';
    const startedServer = Date.now();
    // The journeys start their own servers, as a user would; the other suites share this one.
    if (only !== 'user') server = await startCodeServer({ install, stateDir: path.join(runDir, 'server'), workspace: workspace.dir, env, developmentPayload: true });
    browser = await launchChromium();
    console.log(`${server ? `code-server on ${server.origin} and ` : ''}Chromium started (${seconds(startedServer)})`);

    if (only === undefined || only === 'integration') {
      const started = Date.now();
      console.log('\nintegration tests (extension host):');
      const counts = await runIntegrationSuite(server!, browser);
      report('integration', counts, started);
      addCounts(totals, counts);
    }
    if (only === undefined || only === 'e2e') {
      const started = Date.now();
      console.log('\nend-to-end tests (Chromium):');
      const counts = await runE2eTests(server!, browser, workspace, values.grep);
      report('e2e', counts, started);
      addCounts(totals, counts);
    }
    if (only === undefined || only === 'user') {
      const started = Date.now();
      console.log('\nuser journeys (npm start, the VSIX; Chromium):');
      const counts = await runJourneys(browser, values.grep);
      report('user journeys', counts, started);
      addCounts(totals, counts);
    }
    if (values['keep-open'] && server) {
      console.log(`\ncode-server stays up: ${server.workbenchUrl({ extensionDevelopmentPath: repoRoot })}\nCtrl-C to stop.`);
      await new Promise(() => undefined);
    }
  } catch (err) {
    console.error(`vscode stage: ${err instanceof Error ? err.message : String(err)}`);
    totals.failed += 1;
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    killAll();
    if (server && existsSync(server.logFile)) copyFileSync(server.logFile, path.join(resultsDir, 'code-server.log'));
    rmSync(runDir, { recursive: true, force: true });
    writeSummary(values.summary, totals);
    console.log(`\nvscode stage: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped (${seconds(startedAll)})`);
  }
  return totals.failed > 0 ? 1 : 0;
}

const runsDir = path.join(cacheDir, 'test-runs');

/** Removes run folders whose harness process is gone (killed with SIGKILL, machine restarted). */
function removeStaleRuns(): void {
  if (!existsSync(runsDir)) return;
  for (const entry of readdirSync(runsDir)) {
    const pid = Number(entry.replace(/^run-/, ''));
    let alive = false;
    try { process.kill(pid, 0); alive = Number.isInteger(pid) && pid > 0; } catch { /* gone */ }
    if (!alive) rmSync(path.join(runsDir, entry), { recursive: true, force: true });
  }
}

function buildBundles(): void {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('`node scripts/build.mjs` failed');
}

function report(kind: string, counts: Counts, started: number): void {
  console.log(`${kind}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${seconds(started)})`);
}

function writeSummary(file: string | undefined, counts: Counts): void {
  if (!file) return;
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(counts)}\n`);
  renameSync(tmp, file);
}

mkdirSync(resultsDir, { recursive: true });
main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
