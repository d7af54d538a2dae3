import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

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
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
