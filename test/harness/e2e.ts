// Runs every test/e2e/*.e2e.ts module. Each module gets one fresh browser context whose page has the
// workbench open on the test workspace with the extension under development loaded; its tests run
// in order on that page, each with a timeout and a screenshot when it fails.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { Counts } from './counts.js';
import { E2eSkip, type E2eContext, type E2eModule, type E2eTest } from './e2e-api.js';
import { repoRoot, resultsDir } from './paths.js';
import type { CodeServer } from './server.js';
import { createWorkbench } from './workbench.js';
import type { SampleWorkspace } from './workspace.js';

export const e2eDir = path.join(repoRoot, 'test', 'e2e');
const defaultTimeoutMs = 90_000;

export function findE2eFiles(grep: string | undefined): string[] {
  return readdirSync(e2eDir)
    .filter((f) => f.endsWith('.e2e.ts') && (!grep || f.includes(grep)))
    .sort()
    .map((f) => path.join(e2eDir, f));
}

export async function runE2eTests(server: CodeServer, browser: Browser, workspace: SampleWorkspace, grep?: string): Promise<Counts> {
  mkdirSync(resultsDir, { recursive: true });
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const file of findE2eFiles(grep)) {
    const relative = path.relative(repoRoot, file);
    const loaded = await loadModule(file);
    if (typeof loaded === 'string') {
      console.log(`  ✗ ${relative}: ${loaded}`);
      counts.failed += 1;
      continue;
    }
    console.log(`  ${relative}`);
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    try {
      const started = Date.now();
      await page.goto(server.workbenchUrl({ extensionDevelopmentPath: repoRoot }));
      const workbench = createWorkbench(page);
      await workbench.ready();
      console.log(`    (workbench ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
      // ANADIFF_E2E_TEST=text[|text...] runs only the tests whose name contains one of them (while working on a test).
      const only = process.env.ANADIFF_E2E_TEST?.split('|');
      for (const test of loaded.tests.filter((t) => !only || only.some((o) => t.name.includes(o)))) {
        const outcome = await runOne(test, { page, workbench, workspace });
        counts[outcome] += 1;
      }
    } catch (err) {
      // The workbench never came up: every test of the module fails, visibly.
      await shoot(page, `FAILED-${path.basename(file, '.e2e.ts')}-setup`);
      console.log(`    ✗ workbench did not load: ${errorText(err)}`);
      counts.failed += loaded.tests.length || 1;
    } finally {
      await context.close();
    }
  }
  return counts;
}

async function loadModule(file: string): Promise<E2eModule | string> {
  try {
    const mod: unknown = await import(pathToFileURL(file).href);
    const tests: unknown = (mod as { tests?: unknown }).tests;
    if (!Array.isArray(tests)) return 'does not export `tests` (an array of E2eTest)';
    return { tests: tests as E2eTest[] };
  } catch (err) {
    return `failed to load: ${errorText(err)}`;
  }
}

async function runOne(test: E2eTest, base: Pick<E2eContext, 'page' | 'workbench' | 'workspace'>): Promise<keyof Counts> {
  if (test.needsSharedData && !base.workspace.hasSharedData) {
    console.log(`    - ${test.name} (skipped: ../shared/data absent)`);
    return 'skipped';
  }
  const context: E2eContext = {
    ...base,
    screenshot: async (name, options) => {
      const file = await shoot(base.page, name);
      if (options?.forDocs && process.env.ANADIFF_DOCS_IMAGES === '1' && existsSync(file)) copyFileSync(file, path.join(repoRoot, 'docs', 'images', `${name}.png`));
      return file;
    },
    log: (message) => console.log(`      [${test.name}] ${message}`),
    skip: (reason) => { throw new E2eSkip(reason); },
  };
  const timeoutMs = test.timeoutMs ?? defaultTimeoutMs;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      test.run(context),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    console.log(`    ✔ ${test.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return 'passed';
  } catch (err) {
    if (err instanceof E2eSkip) {
      console.log(`    - ${test.name} (skipped: ${err.reason})`);
      return 'skipped';
    }
    const shot = await shoot(base.page, `FAILED-${test.name}`);
    console.log(`    ✗ ${test.name}: ${errorText(err)}\n      screenshot: ${path.relative(repoRoot, shot)}`);
    return 'failed';
  } finally {
    clearTimeout(timer);
  }
}

async function shoot(page: Page, name: string): Promise<string> {
  const file = path.join(resultsDir, `e2e-${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: 15_000 }).catch(() => undefined);
  return file;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n').slice(0, 6).join('\n      ') : String(err);
}
