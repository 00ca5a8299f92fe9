import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

/**
 * The viewer's whole HTML in one place. CSP: nothing by default; our script and stylesheet only by nonce;
 * `img-src data:` for NiiVue's built-in font atlas; `connect-src` for webview resources (NiiVue's fetches).
 * No `unsafe-eval`, no `worker-src`: NIfTI decoding happens in the host.
 */
export function viewerHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'viewer.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'viewer.css'));
  const csp = [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    `img-src data:`,
    `connect-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${style.toString()}">
<title>AnaDiff volume viewer</title>
</head>
<body>
<div id="app" class="loading"><div id="status" role="status">Opening…</div></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
