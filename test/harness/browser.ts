// Debian's Chromium driven by playwright-core. WebGL2 runs through SwiftShader (software), which is
// what makes the NiiVue viewer screenshot-testable on a machine without a GPU.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.ANADIFF_CHROMIUM ?? '/usr/bin/chromium';

export class BrowserMissingError extends Error {
  constructor() {
    super(`Chromium not found at ${chromiumPath} (install the Debian package \`chromium\`, or set ANADIFF_CHROMIUM)`);
    this.name = 'BrowserMissingError';
  }
}

export function hasChromium(): boolean {
  return existsSync(chromiumPath);
}

export async function launchChromium(): Promise<Browser> {
  if (!hasChromium()) throw new BrowserMissingError();
  return chromium.launch({
    executablePath: chromiumPath,
    headless: process.env.ANADIFF_HEADED !== '1',
    // No sandbox: CI runs as root. No network services: the machine reaches only npm and Debian.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
}
