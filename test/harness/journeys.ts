// The paths a user walks, end to end: `npm start` as the README says (test/user/npm-start.journey.ts) and the
// packaged VSIX installed into a fresh code-server (test/user/vsix.journey.ts). Unlike the e2e tests, which share
// one harness-started server with the extension loaded from this folder, each journey starts what a user starts,
// in its own browser context. Screenshots go to test-results/; with ANADIFF_DOCS_IMAGES=1 the ones a journey
// names for the docs are also written to docs/images/ (README pictures, refreshed on purpose rather than by every run).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { Counts } from './counts.js';
import { repoRoot, resultsDir } from './paths.js';

export interface JourneyContext {
  readonly browser: Browser;
  log(message: string): void;
  /** Full-page PNG at test-results/journey-<name>.png; also docs/images/<name>.png when `forDocs` and ANADIFF_DOCS_IMAGES=1. */
  screenshot(page: Page, name: string, forDocs?: boolean): Promise<string>;
}

export interface Journey {
  readonly name: string;
  readonly timeoutMs: number;
  run(context: JourneyContext): Promise<void>;
}

const journeysDir = path.join(repoRoot, 'test', 'user');

export async function runJourneys(browser: Browser, grep?: string): Promise<Counts> {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  const files = readdirSync(journeysDir).filter((f) => f.endsWith('.journey.ts') && (!grep || f.includes(grep))).sort();
  for (const file of files) {
    const { journey } = (await import(pathToFileURL(path.join(journeysDir, file)).href)) as { journey: Journey };
    const started = Date.now();
    const context: JourneyContext = {
      browser,
      log: (message) => console.log(`      [${journey.name}] ${message}`),
      screenshot: (page, name, forDocs = false) => shoot(page, name, forDocs),
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        journey.run(context),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${journey.timeoutMs / 1000} s`)), journey.timeoutMs);
        }),
      ]);
      console.log(`    ✔ ${journey.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      counts.passed += 1;
    } catch (err) {
      console.log(`    ✗ ${journey.name}: ${err instanceof Error ? err.message.split('\n').slice(0, 8).join('\n      ') : String(err)}`);
      counts.failed += 1;
    } finally {
      clearTimeout(timer);
    }
  }
  return counts;
}

async function shoot(page: Page, name: string, forDocs: boolean): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `journey-${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, timeout: 15_000 });
  if (forDocs && process.env.ANADIFF_DOCS_IMAGES === '1') copyFileSync(file, path.join(repoRoot, 'docs', 'images', `${name}.png`));
  return file;
}
