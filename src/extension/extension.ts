import * as vscode from 'vscode';

/** Entry point: registers every contribution. Each feature module returns its disposables. */
export function activate(context: vscode.ExtensionContext): void {
  void context;
}

export function deactivate(): void {}
