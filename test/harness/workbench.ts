// Playwright recipes that work on VS Code 1.139 in code-server (see shared notes, vscode-testing.md).
import type { FrameLocator, Locator, Page } from 'playwright-core';
import type { Workbench } from './e2e-api.js';

export class WorkbenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkbenchError';
  }
}

const selectors = {
  workbench: '.monaco-workbench',
  explorerRow: '.explorer-folders-view .monaco-list-row',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget input',
  quickInputRow: '.quick-input-list .monaco-list-row',
  toast: '.notifications-toasts .notification-list-item-message',
  contextMenuItem: '.context-view .action-menu-item',
  webview: 'iframe.webview.ready',
} as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createWorkbench(page: Page): Workbench {
  const quickInput = page.locator(selectors.quickInput);
  const input = page.locator(selectors.quickInputBox);

  async function closeQuickInput(): Promise<void> {
    if (await quickInput.isVisible()) await page.keyboard.press('Escape');
  }

  /** Types into the palette and clicks the first row whose label contains `label` (or only waits for it, `click` false); retries while the list is not ready. */
  async function pick(opener: () => Promise<void>, text: string, label: string, timeoutMs: number, click = true): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastSeen = '';
    while (Date.now() < deadline) {
      await closeQuickInput();
      const row: Locator = page.locator(selectors.quickInputRow, { hasText: label }).first();
      try {
        await opener();
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        // A palette opened while the previous one is still closing can take no input; a short fill timeout retries.
        await input.fill(text, { timeout: 5_000 });
        await row.waitFor({ state: 'visible', timeout: 2_000 });
        if (click) await row.click();
        else await page.keyboard.press('Escape');
        return;
      } catch {
        // Commands appear only after the remote extension host has scanned the extensions.
        lastSeen = (await page.locator(selectors.quickInput).innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 200);
        await page.keyboard.press('Escape');
        await sleep(1000);
      }
    }
    throw new WorkbenchError(`no quick pick entry "${label}" for "${text}" within ${timeoutMs / 1000} s (last: ${lastSeen})`);
  }

  const workbench: Workbench = {
    async ready() {
      await page.locator(selectors.workbench).waitFor({ timeout: 60_000 });
      await page.locator(selectors.explorerRow).first().waitFor({ timeout: 60_000 });
      // The explorer shows before the remote extension host has registered the extension's contributions;
      // a NIfTI file opened then gets the text editor. AnaDiff's commands in the palette mean they are in.
      await pick(() => page.keyboard.press('F1'), '>AnaDiff:', 'AnaDiff:', 60_000, false);
    },
    async runCommand(title) {
      await pick(() => page.keyboard.press('F1'), `>${title}`, title, 60_000);
    },
    async openFileFromExplorer(name) {
      const row = page.locator(selectors.explorerRow, { hasText: name }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.dblclick();
    },
    async explorerContextMenu(fileNames, item) {
      const names = typeof fileNames === 'string' ? [fileNames] : fileNames;
      const row = (name: string): Locator => page.locator(selectors.explorerRow, { hasText: name }).first();
      const menuItem = page.locator(selectors.contextMenuItem, { hasText: item }).first();
      for (let attempt = 0; attempt < 4; attempt++) {
        for (const [i, name] of names.entries()) {
          await row(name).waitFor({ timeout: 30_000 });
          if (names.length > 1) await row(name).click({ modifiers: i === 0 ? [] : ['Control'] });
        }
        await row(names[names.length - 1]!).click({ button: 'right' });
        await menuItem.waitFor({ timeout: 10_000 });
        await menuItem.hover();
        await sleep(300);
        await menuItem.click();
        try {
          await menuItem.waitFor({ state: 'hidden', timeout: 2_000 });
          return;
        } catch {
          await page.keyboard.press('Escape');
        }
      }
      throw new WorkbenchError(`the explorer context menu did not run "${item}" on ${names.join(', ')}`);
    },
    async quickOpen(name) {
      await pick(() => page.keyboard.press('Control+P'), name, name, 30_000);
    },
    async reopenWith(editorLabel) {
      await workbench.runCommand('View: Reopen Editor With...');
      const row = page.locator(selectors.quickInputRow, { hasText: editorLabel }).first();
      await row.waitFor({ timeout: 10_000 });
      await row.click();
    },
    async webviewFrame(timeoutMs = 60_000) {
      // Hidden editors keep their iframes; the visible one is the last attached and visible.
      const iframe = page.locator(`${selectors.webview}:visible`).last();
      await iframe.waitFor({ state: 'attached', timeout: timeoutMs });
      const frame: FrameLocator = iframe.contentFrame().frameLocator('#active-frame');
      await frame.locator('body').waitFor({ state: 'attached', timeout: timeoutMs });
      return frame;
    },
    async notifications() {
      return page.locator(selectors.toast).allInnerTexts();
    },
    async closeAllEditors() {
      await closeQuickInput();
      await workbench.runCommand('View: Close All Editors');
    },
  };
  return workbench;
}
