// Steps the user journeys share: what a person does in the workbench, and what they would see.
import * as assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import type { Workbench } from '../harness/e2e-api.js';
import { decodePng, luminanceSpread } from '../e2e/viewer-png.js';

/**
 * Double-clicks `fileName` in the explorer and checks that AnaDiff's volume viewer opens and draws the volume (NiiVue
 * interactive, a canvas that is not blank). No fallback to "Reopen Editor With": a user double-clicks, and must get
 * the viewer.
 */
export async function openAndSeeVolume(page: Page, workbench: Workbench, fileName: string): Promise<FrameLocator> {
  await workbench.openFileFromExplorer(fileName);
  let frame: FrameLocator;
  try {
    frame = await workbench.webviewFrame(60_000);
  } catch {
    const tab = await page.locator('.tabs-container .tab.active').innerText().catch(() => '?');
    const editor = await page.locator('.editor-container').innerText().catch(() => '');
    throw new Error(`double-clicking ${fileName} did not open the AnaDiff viewer (active tab "${tab}": ${editor.replace(/\s+/g, ' ').slice(0, 160)})`);
  }
  await frame.locator('body[data-interactive-ms]').waitFor({ state: 'attached', timeout: 120_000 });
  const spread = luminanceSpread(decodePng(await frame.locator('#gl').screenshot()));
  assert.ok(spread > 10, `the viewer's canvas looks blank (luminance spread ${spread.toFixed(1)})`);
  return frame;
}

/** Opens the palette on ">AnaDiff" and returns the commands it lists (the palette stays open for a screenshot). */
export async function anaDiffPaletteEntries(page: Page): Promise<string[]> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill('>AnaDiff:');
  const rows = page.locator('.quick-input-list .monaco-list-row', { hasText: 'AnaDiff:' });
  await rows.first().waitFor({ timeout: 10_000 });
  return (await rows.allInnerTexts()).map((t) => t.split('\n')[0]?.trim() ?? '');
}
