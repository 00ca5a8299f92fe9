// The folder the harness opened (see test/harness/README.md, "Workspace").
import * as vscode from 'vscode';

export interface TestWorkspace {
  readonly uri: vscode.Uri;
  /** True when ../shared/data was present, so the real example CT is in the workspace. */
  readonly hasSharedData: boolean;
  file(name: string): vscode.Uri;
}

export function testWorkspace(): TestWorkspace {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('integration tests: no workspace folder is open (the harness opens .cache/test-runs/run-<pid>/workspace)');
  return {
    uri: folder.uri,
    hasSharedData: Boolean(process.env.ANADIFF_SHARED_DATA),
    file: (name) => vscode.Uri.joinPath(folder.uri, name),
  };
}
