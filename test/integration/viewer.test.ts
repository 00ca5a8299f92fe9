// The volume viewer inside the real extension host: the custom editor opens NIfTI files, its commands exist and
// work on the active viewer, and a label map on a grid that does not overlap the image is refused.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test, suiteSetup } from 'mocha';
import { testWorkspace } from './workspace.js';

const VIEW_TYPE = 'anadiff.volumeViewer';

interface ViewerApi {
  timings(uri: vscode.Uri): { firstPaint?: number; interactive?: number; overlay?: number } | undefined;
}
type OverlayResult = { kind: 'shown'; note: string } | { kind: 'refused'; message: string } | { kind: 'cancelled' };

async function viewerApi(): Promise<ViewerApi> {
  const extension = vscode.extensions.getExtension<{ viewer: ViewerApi }>('anadiff.anadiff');
  assert.ok(extension, 'extension anadiff.anadiff is loaded');
  return (await extension.activate()).viewer;
}

/** Waits until the viewer for `uri` reports a milestone (the webview posted it). */
async function waitFor(api: ViewerApi, uri: vscode.Uri, phase: 'firstPaint' | 'interactive', timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ms = api.timings(uri)?.[phase];
    if (ms !== undefined) return ms;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`viewer for ${uri.fsPath} did not reach ${phase} within ${timeoutMs} ms`);
}

function ctFile(): vscode.Uri {
  const ws = testWorkspace();
  return ws.hasSharedData ? ws.file('example_ct.nii.gz') : ws.file('phantom_ct.nii.gz');
}

/** Writes a small uint8 NIfTI-1 label map whose origin is far outside any CT (no world overlap). */
async function writeFarAwayLabelMap(uri: vscode.Uri): Promise<void> {
  const header = new DataView(new ArrayBuffer(352));
  header.setInt32(0, 348, true);
  [3, 8, 8, 8, 1, 1, 1, 1].forEach((d, i) => header.setInt16(40 + i * 2, d, true));
  header.setInt16(70, 2, true); // datatype uint8
  header.setInt16(72, 8, true); // bitpix
  [1, 1, 1, 1].forEach((p, i) => header.setFloat32(76 + i * 4, p, true));
  header.setFloat32(108, 352, true); // vox_offset
  header.setFloat32(112, 1, true); // scl_slope
  header.setInt16(254, 1, true); // sform_code
  const srow = [1, 0, 0, 5000, 0, 1, 0, 5000, 0, 0, 1, 5000];
  srow.forEach((v, i) => header.setFloat32(280 + i * 4, v, true));
  [0x6e, 0x2b, 0x31, 0].forEach((c, i) => header.setUint8(344 + i, c)); // "n+1\0"
  const voxels = new Uint8Array(512).fill(1);
  const bytes = new Uint8Array(352 + 512);
  bytes.set(new Uint8Array(header.buffer), 0);
  bytes.set(voxels, 352);
  await vscode.workspace.fs.writeFile(uri, bytes);
}

suite('viewer', () => {
  suiteSetup(async function () {
    this.timeout(60_000);
    await viewerApi();
  });

  test('opens a NIfTI file in the volume viewer and paints it', async function () {
    this.timeout(90_000);
    const api = await viewerApi();
    const uri = ctFile();
    await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, 'the active tab is a custom editor');
    assert.equal(tab.input.viewType, VIEW_TYPE);
    const firstPaint = await waitFor(api, uri, 'firstPaint', 60_000);
    const interactive = await waitFor(api, uri, 'interactive', 60_000);
    console.log(`viewer: ${uri.path.split('/').pop()}: first paint ${firstPaint} ms, interactive ${interactive} ms after the webview started`);
    assert.ok(interactive >= firstPaint);
  });

  test('the viewer commands are registered and act on the active viewer', async function () {
    this.timeout(30_000);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['anadiff.viewer.open', 'anadiff.viewer.openLabelOverlay', 'anadiff.viewer.windowPreset', 'anadiff.viewer.setLayout', 'anadiff.viewer.toggleRadiological', 'anadiff.viewer.toggleHeader']) {
      assert.ok(commands.includes(id), `${id} is registered`);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('anadiff.viewer.open', ctFile());
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom && tab.input.viewType === VIEW_TYPE, '"Open in Volume Viewer" opened the viewer');
    assert.equal(await vscode.commands.executeCommand('anadiff.viewer.windowPreset', 'bone'), 'bone');
    assert.equal(await vscode.commands.executeCommand('anadiff.viewer.setLayout', 'axial'), 'axial');
    await vscode.commands.executeCommand('anadiff.viewer.setLayout', 'multiplanar');
  });

  test('the setting anadiff.viewer.convention is contributed with auto (radiological for CT) as its default', () => {
    const inspected = vscode.workspace.getConfiguration('anadiff.viewer').inspect<string>('convention');
    assert.equal(inspected?.defaultValue, 'auto');
  });

  test('shows a label map on the same grid as an overlay', async function () {
    this.timeout(60_000);
    const ws = testWorkspace();
    const [image, labels] = ws.hasSharedData
      ? [ws.file('example_ct.nii.gz'), ws.file('example_ct_btcv13_from_totalseg_fast.nii.gz')]
      : [ws.file('phantom_ct.nii.gz'), ws.file('phantom_ct_seg.nii.gz')];
    await vscode.commands.executeCommand('vscode.openWith', image, VIEW_TYPE);
    const result = await vscode.commands.executeCommand<OverlayResult>('anadiff.viewer.openLabelOverlay', labels);
    assert.equal(result.kind, 'shown', JSON.stringify(result));
  });

  test('refuses a label map that does not overlap the image, saying why', async function () {
    this.timeout(60_000);
    const far = testWorkspace().file('far_away_seg.nii');
    await writeFarAwayLabelMap(far);
    await vscode.commands.executeCommand('vscode.openWith', ctFile(), VIEW_TYPE);
    const result = await vscode.commands.executeCommand<OverlayResult>('anadiff.viewer.openLabelOverlay', far);
    assert.equal(result.kind, 'refused');
    assert.match(result.kind === 'refused' ? result.message : '', /does not overlap .* in world space/);
  });

  test('a file that is not NIfTI shows an error instead of hanging', async function () {
    this.timeout(60_000);
    const bad = testWorkspace().file('not_a_volume.nii');
    await vscode.workspace.fs.writeFile(bad, new TextEncoder().encode('plain text, not a NIfTI header'.repeat(20)));
    await vscode.commands.executeCommand('vscode.openWith', bad, VIEW_TYPE);
    const result = await vscode.commands.executeCommand<OverlayResult>('anadiff.viewer.openLabelOverlay', ctFile());
    assert.equal(result.kind, 'refused', 'an overlay cannot go over an image that failed to open');
    assert.match(result.kind === 'refused' ? result.message : '', /not_a_volume\.nii could not be opened/);
  });

  suite('teardown', () => {
    test('closes the viewers', async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
});
