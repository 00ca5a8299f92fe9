import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

export interface WebviewPage {
  /** dist/webview/<bundle>.js and media/<bundle>.css. */
  readonly bundle: string;
  readonly title: string;
  /** The app element's class and its status text until the script takes over. */
  readonly appClass?: string;
  readonly status: string;
  /** CSP directives besides `default-src 'none'` and the nonce'd script; `{nonce}` and `{cspSource}` are filled in. */
  readonly directives: readonly string[];
}

/**
 * Every AnaDiff webview's HTML shell: one script and one stylesheet, both by nonce, under a CSP that starts from
 * `default-src 'none'` (each page adds only what it needs, e.g. the viewer's `img-src data:` for NiiVue's font atlas).
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const nonce = randomBytes(18).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${page.bundle}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', `${page.bundle}.css`));
  const fill = (d: string): string => d.replaceAll('{nonce}', nonce).replaceAll('{cspSource}', webview.cspSource);
  const csp = [`default-src 'none'`, `script-src 'nonce-${nonce}'`, ...page.directives.map(fill)].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${style.toString()}">
<title>${page.title}</title>
</head>
<body>
<div id="app"${page.appClass ? ` class="${page.appClass}"` : ''}><div id="status" role="status">${page.status}</div></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
