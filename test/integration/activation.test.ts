import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from 'mocha';
import { testWorkspace } from './workspace.js';

const extensionId = 'anadiff.anadiff';

suite('activation', () => {
  test('the extension is installed under its id and activates', async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `extension ${extensionId} is not loaded`);
    await extension.activate();
    assert.equal(extension.isActive, true);
    assert.equal(extension.packageJSON.displayName, 'AnaDiff');
  });

  test('runs in the workspace extension host with the test workspace open', () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.equal(extension?.extensionKind, vscode.ExtensionKind.Workspace);
    assert.equal(testWorkspace().uri.fsPath, process.env.ANADIFF_TEST_WORKSPACE);
  });
});
