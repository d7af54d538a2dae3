import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

// Two projects under one `npm test`: the unit suite in Node, and the browser suite, which
// bundles the built package and drives the system Chromium (test/browser/harness/chromium.ts).
export default defineConfig({
  // The package name maps to the sources, as tsconfig.json's `paths` does for tsc and tsx, so
  // code written like an app's (the examples) resolves in tests too. Exact matches only: the
  // bundle test imports the packed package in child processes, which this does not touch.
  resolve: {
    alias: [
      { find: /^dvme$/, replacement: src('index.ts') },
      { find: /^dvme\/metrics$/, replacement: src('metrics/index.ts') },
      { find: /^dvme\/node$/, replacement: src('node.ts') },
      { find: /^dvme\/node-gpu$/, replacement: src('node-gpu.ts') },
      { find: /^dvme\/browser$/, replacement: src('browser.ts') },
    ],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['**/node_modules/**', 'test/browser/**'] },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/browser/harness/global-setup.ts'],
          testTimeout: 180_000,
        },
      },
    ],
  },
});
