import { defineConfig } from 'vitest/config';

// Two projects under one `npm test`: the unit suite in Node, and the browser suite, which
// bundles the built package and drives the system Chromium (test/browser/harness/chromium.ts).
export default defineConfig({
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
