import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'tsup';
import config from '../../../tsup.config.js';

export const root = join(import.meta.dirname, '../../..');

/**
 * Builds dvme as published (tsup, the package's own config, without the .d.ts files a bundle
 * never reads) into a private folder: `npm run build` of another test rewrites dist/ meanwhile.
 */
export async function buildPackage(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dvme-browser-pkg-'));
  await build({ ...config, dts: false, sourcemap: false, silent: true, outDir: join(dir, 'dist') });
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  return dir;
}

/**
 * A fresh app folder whose node_modules holds a copy of the built dvme, links to dvme's own
 * dependencies (npm installs them with it) and links to the listed packages of this repo (always
 * tfjs-core and tfjs-layers, dvme's required peers): peers not listed are absent, as in an app
 * that did not install them.
 */
export function makeApp(pkg: string, peers: readonly string[]): string {
  const app = mkdtempSync(join(tmpdir(), 'dvme-browser-app-'));
  writeFileSync(join(app, 'package.json'), '{"name":"app","private":true,"type":"module"}');
  cpSync(pkg, join(app, 'node_modules', 'dvme'), { recursive: true });
  const dependencies = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  for (const peer of [...dependencies, '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', ...peers]) {
    mkdirSync(dirname(join(app, 'node_modules', peer)), { recursive: true });
    symlinkSync(join(root, 'node_modules', peer), join(app, 'node_modules', peer), 'dir');
  }
  return app;
}

export function removeAll(...dirs: Array<string | undefined>): void {
  for (const dir of dirs) if (dir) rmSync(dir, { recursive: true, force: true });
}
