// Smoke test: the workbench loads in Chromium with the extension under development, and opening a
// NIfTI file activates it (its custom editor is the activation event).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { E2eTest } from '../harness/e2e-api.js';

export const tests: readonly E2eTest[] = [
  {
    name: 'workbench shows the sample workspace as an extension development host',
    async run({ page, workspace, screenshot }) {
      assert.match(await page.title(), /Extension Development Host/);
      const rows = await page.locator('.explorer-folders-view .monaco-list-row').allInnerTexts();
      const expected = Object.values(workspace.files).filter((f) => f !== undefined).map((f) => path.basename(f));
      for (const name of expected) assert.ok(rows.some((r) => r.includes(name)), `explorer lists ${name} (rows: ${rows.join(', ')})`);
      await screenshot('workbench');
    },
  },
  {
    name: 'opening a NIfTI file activates AnaDiff',
    timeoutMs: 120_000,
    async run({ page, workbench, workspace, skip }) {
      const volume = workspace.files.phantomCt ?? workspace.files.exampleCt;
      if (!volume) return skip('no NIfTI file in the workspace (no phantom generator, no ../shared/data)');
      await workbench.openFileFromExplorer(path.basename(volume));
      // The custom editor's webview attaching means the activation event fired.
      await workbench.webviewFrame();
      // A development extension is listed by its display name or by its id (`anadiff.anadiff`).
      const isAnaDiff = (name: string): boolean => name.toLowerCase().includes('anadiff');
      const names = new Set<string>();
      // The editor lists only activated extensions and does not refresh: reopen it until AnaDiff shows.
      for (let attempt = 0; attempt < 5 && ![...names].some(isAnaDiff); attempt += 1) {
        await workbench.runCommand('Developer: Show Running Extensions');
        const rows = page.locator('.runtime-extensions-editor .monaco-list-row');
        await rows.first().waitFor({ timeout: 30_000 });
        await rows.first().click();
        // The list is virtualised: page through it.
        for (let screen = 0; screen < 6; screen += 1) {
          for (const text of await rows.allInnerTexts()) names.add(text.split('\n')[0]?.trim() ?? '');
          await page.keyboard.press('PageDown');
        }
        await page.keyboard.press('Escape');
        await page.waitForTimeout(1000);
      }
      assert.ok([...names].some(isAnaDiff), `AnaDiff is not among the running extensions: ${[...names].join(', ')}`);
      await workbench.closeAllEditors();
    },
  },
];
