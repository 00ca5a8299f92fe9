// The path a user outside this repository takes: `npm run package` writes the VSIX, which is installed with
// `code-server --install-extension` into a fresh code-server (its own user-data and extensions folders, no
// development payload, so nothing is loaded from this folder); a `.nii.gz` opened there shows in the viewer.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Journey } from '../harness/journeys.js';
import { ensureCodeServer } from '../harness/install.js';
import { repoRoot } from '../harness/paths.js';
import { startCodeServer, type CodeServer } from '../harness/server.js';
import { createWorkbench } from '../harness/workbench.js';
import { prepareWorkspace } from '../harness/workspace.js';
import { openAndSeeVolume } from './steps.js';

export const journey: Journey = {
  name: 'npm run package: the VSIX installs into a fresh code-server and its viewer renders a .nii.gz',
  timeoutMs: 300_000,
  async run({ browser, log, screenshot }) {
    const packaged = spawnSync('npm', ['run', 'package'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(packaged.status, 0, `npm run package failed:\n${`${packaged.stdout}\n${packaged.stderr}`.trim().split('\n').slice(-10).join('\n')}`);
    const vsix = path.join(repoRoot, 'anadiff-linux-x64.vsix');
    assert.ok(existsSync(vsix), `npm run package wrote no ${vsix}`);
    log(`${path.basename(vsix)}: ${(statSync(vsix).size / 1e6).toFixed(1)} MB`);

    const root = mkdtempSync(path.join(os.tmpdir(), 'anadiff-vsix-'));
    let server: CodeServer | undefined;
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const workspace = prepareWorkspace(path.join(root, 'workspace'), { fresh: true });
      assert.ok(workspace.files.phantomCt, 'the sample phantom was generated');
      server = await startCodeServer({ install: ensureCodeServer(), stateDir: path.join(root, 'server'), workspace: workspace.dir, installVsix: [vsix] });
      const installed = readdirSync(path.join(root, 'server', 'extensions')).filter((d) => d.startsWith('anadiff.anadiff-'));
      assert.equal(installed.length, 1, 'the VSIX is installed in the fresh extensions folder');
      const page = await context.newPage();
      await page.goto(server.workbenchUrl());
      const workbench = createWorkbench(page);
      await workbench.ready();
      assert.doesNotMatch(await page.title(), /Extension Development Host/, 'the extension comes from the VSIX, not from this folder');
      await openAndSeeVolume(page, workbench, path.basename(workspace.files.phantomCt));
      await screenshot(page, 'vsix-viewer');
    } finally {
      await context.close();
      await server?.stop();
      rmSync(root, { recursive: true, force: true });
    }
  },
};
