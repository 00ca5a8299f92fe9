// Runs test/integration (bundled to dist/test-integration.js) inside code-server's real extension host.
// The workbench executes the `extensionTestsPath` module when the page carries the test payload and the
// server runs with the smoke-test driver; the extension host's console arrives through
// `window.codeAutomationLog` and the settlement of `run()` through `window.codeAutomationExit`.
import { createWriteStream, existsSync } from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import type { Browser } from 'playwright-core';
import type { Counts } from './counts.js';
import { repoRoot, resultsDir } from './paths.js';
import type { CodeServer } from './server.js';

/** Printed by test/integration/index.ts when mocha starts and when it finishes. */
const startMarker = 'ANADIFF_INTEGRATION_START';
const resultMarker = 'ANADIFF_INTEGRATION_RESULT';
/** Workbench chatter of an offline, isolated server: kept in the log file, not echoed. */
const noise = /Canceled: Canceled|ENOTFOUND|open-vsx|extensions gallery|marketplace/i;
export const integrationBundle = path.join(repoRoot, 'dist', 'test-integration.js');

export async function runIntegrationSuite(server: CodeServer, browser: Browser, timeoutMs = 10 * 60_000): Promise<Counts> {
  if (!existsSync(integrationBundle)) {
    console.error(`integration: ${integrationBundle} missing; run \`npm run build\``);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const logPath = path.join(resultsDir, 'integration.log');
  const log = createWriteStream(logPath);
  const context = await browser.newContext();
  const page = await context.newPage();
  let counts: Counts | undefined;
  let started = false;
  let logOpen = true;
  const exitCode = new Promise<number>((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
  });
  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
    // The console arguments arrive unformatted (mocha logs `'%s%s', a, b`).
    const line = format(...args);
    // The page keeps logging while it is torn down, after the log is closed.
    if (!logOpen) return;
    log.write(`${line}\n`);
    const marker = line.indexOf(resultMarker);
    if (marker >= 0) counts = parseCounts(line.slice(marker + resultMarker.length));
    else if (line.includes(startMarker)) started = true;
    else if (!started || noise.test(line)) return;
    else if (type === 'error') console.error(`  [ext host] ${line.split('\n').slice(0, 4).join('\n')}`);
    else console.log(`  ${line}`);
  });
  try {
    await page.goto(server.workbenchUrl({ extensionDevelopmentPath: repoRoot, extensionTestsPath: integrationBundle }));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    const code = await Promise.race([exitCode, timedOut]);
    clearTimeout(timer);
    if (code === 'timeout') {
      await page.screenshot({ path: path.join(resultsDir, 'integration-TIMEOUT.png') }).catch(() => undefined);
      console.error(`integration: no result within ${timeoutMs / 1000} s (screenshot test-results/integration-TIMEOUT.png, log ${logPath})`);
      return { passed: counts?.passed ?? 0, failed: (counts?.failed ?? 0) + 1, skipped: counts?.skipped ?? 0 };
    }
    if (!counts) {
      // run() settled without mocha's summary: the bundle failed to load or threw before running.
      console.error(`integration: the suite ended (code ${code}) without a result line; see ${logPath} and ${server.logFile}`);
      return { passed: 0, failed: 1, skipped: 0 };
    }
    if (code !== 0 && counts.failed === 0) counts.failed = 1;
    return counts;
  } finally {
    logOpen = false;
    log.end();
    await context.close();
  }
}

function parseCounts(json: string): Counts | undefined {
  try {
    const value: unknown = JSON.parse(json.trim());
    if (typeof value !== 'object' || value === null) return undefined;
    const get = (key: string): number => {
      const n: unknown = (value as Record<string, unknown>)[key];
      return typeof n === 'number' ? n : 0;
    };
    return { passed: get('passed'), failed: get('failed'), skipped: get('skipped') };
  } catch {
    return undefined;
  }
}
