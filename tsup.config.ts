import { defineConfig } from 'tsup';

// One build for every entrypoint, so they share chunks: `dvme/node` re-exports the very same
// classes as `dvme` (a platform registered through one is seen by the other), instead of a
// second copy of the core. Every dependency stays external (the user's single tfjs is the one
// that runs), and `node:*` imports only appear in the Node entrypoints' own chunk.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    metrics: 'src/metrics/index.ts',
    node: 'src/node.ts',
    'node-gpu': 'src/node-gpu.ts',
    browser: 'src/browser.ts',
    cli: 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  external: [/^@tensorflow\//, /^onnxruntime-/, /^node:/],
});
