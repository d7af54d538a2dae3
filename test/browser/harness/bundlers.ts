import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { rollup } from 'rollup';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { build as viteBuild } from 'vite';
import webpack from 'webpack';
import { root } from './package.js';

export type Bundler = 'esbuild' | 'vite' | 'webpack' | 'rollup';

/**
 * Bundles `app/src/main.js` with `bundler` the way a user would, with no externals and no
 * plugin for dvme, into `out/` with the page at `out/index.html` and the scripts under
 * `out/assets/`. Rollup alone needs plugins, as it does for any npm package: node-resolve to
 * find node_modules at all, and commonjs for tfjs's CommonJS files (seedrandom, emscripten).
 */
export async function bundle(bundler: Bundler, app: string, out: string): Promise<void> {
  const entry = join(app, 'src/main.js');
  const assets = join(out, 'assets');
  const page = (script: string) => `<!doctype html><html><head><meta charset="utf-8"></head><body>${script}</body></html>`;
  if (bundler === 'esbuild') {
    await esbuild.build({ entryPoints: [entry], absWorkingDir: app, bundle: true, format: 'esm', splitting: true, target: 'es2022', outdir: assets, logLevel: 'silent' });
  } else if (bundler === 'rollup') {
    const warnings: string[] = [];
    const b = await rollup({ input: entry, plugins: [nodeResolve({ browser: true }), commonjs()], onwarn: (w) => void warnings.push(w.message) });
    await b.write({ dir: assets, format: 'es' });
    await b.close();
  } else if (bundler === 'webpack') {
    const compiler = webpack({
      mode: 'production',
      context: app,
      entry: './src/main.js',
      output: { path: assets, filename: 'main.js' },
      optimization: { minimize: false },
      performance: { hints: false },
      devtool: false,
    });
    const stats = await new Promise<webpack.Stats>((resolve, reject) =>
      compiler.run((e, s) => (e || !s ? reject(e ?? new Error('webpack gave no stats')) : resolve(s))),
    );
    await new Promise<void>((resolve) => compiler.close(() => resolve()));
    if (stats.hasErrors()) throw new Error(`webpack failed:\n${stats.toString({ all: false, errors: true })}`);
  } else {
    writeFileSync(join(app, 'index.html'), page('<script type="module" src="/src/main.js"></script>'));
    await viteBuild({ root: app, configFile: false, logLevel: 'silent', base: './', build: { outDir: out, emptyOutDir: true, target: 'es2022' } });
  }
  // webpack's output is a classic script (its automatic publicPath reads document.currentScript).
  if (bundler === 'esbuild' || bundler === 'rollup') writeFileSync(join(out, 'index.html'), page('<script type="module" src="./assets/main.js"></script>'));
  if (bundler === 'webpack') writeFileSync(join(out, 'index.html'), page('<script src="./assets/main.js"></script>'));
}

/** Copies tfjs-backend-wasm's .wasm files into `dir`, as the docs tell users to. */
export function copyTfjsWasm(dir: string): void {
  const from = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(from)) if (f.endsWith('.wasm')) copyFileSync(join(from, f), join(dir, f));
}
