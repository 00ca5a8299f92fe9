// The README's first command, as a new user meets it: `npm start` in this folder, the printed URL in a browser, the
// AnaDiff commands in the palette, a double-click on a `.nii.gz` opening the volume viewer, and Ctrl-C (SIGTERM here)
// stopping code-server. It runs the real start path (npm, scripts/start.mjs, its build and its server), not the
// harness's own server, on a free port and with its own state folder so a running `npm start` is left alone.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Journey } from '../harness/journeys.js';
import { repoRoot } from '../harness/paths.js';
import { killProcessGroup, trackProcessGroup } from '../harness/processes.js';
import { freePort } from '../harness/server.js';
import { createWorkbench } from '../harness/workbench.js';
import { anaDiffPaletteEntries, openAndSeeVolume } from './steps.js';

export const journey: Journey = {
  name: 'npm start: AnaDiff is loaded, its commands are in the palette, a double-click opens the viewer',
  timeoutMs: 300_000,
  async run({ browser, log, screenshot }) {
    const port = await freePort();
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'anadiff-npm-start-'));
    const child = spawn('npm', ['start', '--', '--port', String(port), '--state-dir', stateDir], {
      cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ANADIFF_PORT: '' },
    });
    assert.ok(child.pid, 'npm start did not start');
    trackProcessGroup(child.pid);
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const url = await printedUrl(() => output, () => child.exitCode, 180_000);
      log(`npm start printed ${url.slice(0, 60)}...`);
      assert.ok(url.startsWith(`http://127.0.0.1:${port}/`), `the URL is on the port asked for (${url})`);
      const page = await context.newPage();
      await page.goto(url);
      const workbench = createWorkbench(page);
      await workbench.ready();
      const commands = await anaDiffPaletteEntries(page);
      log(`palette: ${commands.join(' | ')}`);
      assert.ok(commands.includes('AnaDiff: Open in Volume Viewer'), `the palette lists AnaDiff's commands (got: ${commands.join(', ')})`);
      await screenshot(page, 'palette', true);
      await page.keyboard.press('Escape');

      const frame = await openAndSeeVolume(page, workbench, 'phantom_ct.nii.gz');
      await frame.locator('#readout').filter({ hasText: 'ijk' }).waitFor({ timeout: 10_000 });
      await screenshot(page, 'first-visit-viewer', true);

      // The explorer's context menu on a NIfTI file offers AnaDiff.
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'phantom_ct.nii.gz' }).first().click({ button: 'right' });
      await page.locator('.context-view .action-menu-item', { hasText: 'Open in Volume Viewer' }).first().waitFor({ timeout: 10_000 });
      await screenshot(page, 'context-menu', true);
      await page.keyboard.press('Escape');
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nnpm start printed:\n${output.trim().split('\n').slice(-15).join('\n')}`);
    } finally {
      await context.close();
      await killProcessGroup(child.pid);
      rmSync(stateDir, { recursive: true, force: true });
    }
    // Ctrl-C (here SIGTERM to the group) leaves nothing serving.
    const stillServing = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
    assert.equal(stillServing, false, 'code-server still answers after npm start was stopped');
  },
};

async function printedUrl(output: () => string, exitCode: () => number | null, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const url = output().match(/^\s+(http:\/\/127\.0\.0\.1:\d+\/\?\S+)\s*$/m)?.[1];
    if (url) return url;
    if (exitCode() !== null) throw new Error(`npm start exited (${exitCode()}) before printing a URL`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`npm start printed no URL within ${timeoutMs / 1000} s`);
}
