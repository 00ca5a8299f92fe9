import type * as vscode from 'vscode';
import { webviewHtml } from '../webview-html.js';

/**
 * The viewer's page. CSP: our script and stylesheet only by nonce; `img-src data:` for NiiVue's built-in font atlas;
 * `connect-src` for webview resources (NiiVue's fetches). No `unsafe-eval`, no `worker-src`: NIfTI decoding happens
 * in the host.
 */
export function viewerHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  return webviewHtml(webview, extensionUri, {
    bundle: 'viewer', title: 'AnaDiff volume viewer', appClass: 'loading', status: 'Opening…',
    directives: [`style-src 'nonce-{nonce}'`, 'img-src data:', 'connect-src {cspSource}'],
  });
}
