import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The Debian package's browser; CI installs it (.ci/run). */
export const CHROMIUM = process.env.DVME_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Starts the system Chromium headless. Fails (never skips) when it is missing, saying how to
 * install it: the browser suite is part of `npm test`.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM}, which is missing. Install it (Debian/Ubuntu: ` +
        'sudo apt-get update && sudo apt-get install -y chromium), or point DVME_CHROMIUM at a Chromium or Chrome binary.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      // WebGL on the CPU (SwiftShader): Chromium no longer falls back to it by itself.
      '--enable-unsafe-swiftshader',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
