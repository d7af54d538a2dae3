/**
 * Embedding throughput of MobileNetV2 (224 x 224, batch 16) in headless Chromium per tfjs
 * backend that starts there (wasm; WebGL, on SwiftShader without a GPU; WebGPU when the browser
 * gives an adapter), and in Node (dvme/node, wasm) in the same run, for comparison.
 *
 *   DVME_SHARED_DIR=/work/shared npm run bench:browser [-- --batches 3]
 *
 * Uses the browser suite's harness: dvme built as published, bundled by esbuild, the system
 * Chromium (test/browser/harness). The machine's load changes these figures: compare numbers
 * of one run only.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backbone, initBackend } from '../src/node.js';
import { pngWith } from '../test/unit/platform/png-builder.js';
import { bundle, copyTfjsWasm } from '../test/browser/harness/bundlers.js';
import { launchChromium } from '../test/browser/harness/chromium.js';
import { buildPackage, makeApp, removeAll, root } from '../test/browser/harness/package.js';
import { openAndRead } from '../test/browser/harness/page.js';
import { serveStatic } from '../test/browser/harness/server.js';

const MODELS = join(process.env.DVME_SHARED_DIR ?? join(root, '../shared'), 'models');
const PEERS = ['@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-converter', 'onnxruntime-web'];
const at = process.argv.indexOf('--batches');
const BATCHES = at > 0 ? Number(process.argv[at + 1]) : 3;

/** A 224 x 224 RGB picture (smooth gradients), as PNG bytes and as pixels. */
function picture(seed: number) {
  const w = 224;
  const data = new Uint8Array(w * w * 3);
  for (let i = 0; i < w * w; i += 1) for (let c = 0; c < 3; c += 1) data[i * 3 + c] = ((i % w) * (c + 1) + Math.floor(i / w) * seed) & 255;
  const raw = new Uint8Array(w * (1 + w * 3));
  for (let y = 0; y < w; y += 1) raw.set(data.subarray(y * w * 3, (y + 1) * w * 3), y * (1 + w * 3) + 1);
  return { png: pngWith({ width: w, height: w, raw }), pixels: { data, width: w, height: w, channels: 3 as const } };
}

const pictures = [picture(1), picture(2), picture(3), picture(5)];
const names = pictures.map((_, i) => `t${i}.png`);
const results: Array<{ where: string; imagesPerSecond: number | string }> = [];

const pkg = await buildPackage();
const app = makeApp(pkg, PEERS);
const out = mkdtempSync(join(tmpdir(), 'dvme-throughput-'));
mkdirSync(join(app, 'src'));
cpSync(join(root, 'test/browser/pages/suite.js'), join(app, 'src/main.js'));
copyTfjsWasm(join(out, 'wasm'));
for (const f of ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs']) symlinkSync(join(root, 'node_modules/onnxruntime-web/dist', f), join(out, 'wasm', f));
mkdirSync(join(out, 'img'));
pictures.forEach((p, i) => writeFileSync(join(out, 'img', names[i] as string), p.png));
await bundle('esbuild', app, join(out, 'site'));
const server = await serveStatic({ '/': join(out, 'site'), '/wasm/': join(out, 'wasm'), '/img/': join(out, 'img'), '/models/': MODELS });
const browser = await launchChromium();
try {
  for (const backend of ['wasm', 'webgl', 'webgpu']) {
    const { page } = await openAndRead<unknown>(browser, `${server.url}/index.html?backends=${backend}`);
    const evaluate = <T>(method: string, ...args: unknown[]) =>
      page.evaluate(([m, a]) => (window as unknown as { dvmeTest: Record<string, (...x: unknown[]) => unknown> }).dvmeTest[m as string]!(...(a as unknown[])), [method, args] as const) as Promise<T>;
    try {
      const info = await evaluate<{ backend: string }>('init');
      // WebGL on SwiftShader is slow: one timed batch.
      const ips = await evaluate<number>('throughput', names, backend === 'webgl' ? 1 : BATCHES);
      results.push({ where: `Chromium, ${info.backend}`, imagesPerSecond: ips });
    } catch (e) {
      results.push({ where: `Chromium, ${backend}`, imagesPerSecond: `did not start: ${(e as Error).message.split('\n')[0]}` });
    }
    await page.context().close();
  }
} finally {
  await browser.close();
  await server.close();
  removeAll(app, out, pkg);
}

await initBackend();
const backbone = await Backbone.fromTfjs(join(MODELS, 'mobilenet_v2_nsfwjs/model.json'), { embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1] });
const batch = Array.from({ length: 16 }, (_, i) => pictures[i % pictures.length]!.pixels);
await backbone.embed(batch, { as: 'array', batchSize: 16 });
const start = performance.now();
for (let i = 0; i < BATCHES; i += 1) await backbone.embed(batch, { as: 'array', batchSize: 16 });
results.push({ where: 'Node, dvme/node wasm', imagesPerSecond: (16 * BATCHES) / ((performance.now() - start) / 1000) });
backbone.dispose();

console.log(`MobileNetV2 224 x 224, batch 16, ${BATCHES} timed batches after one warm-up (load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}):`);
for (const r of results) console.log(`  ${r.where.padEnd(28)} ${typeof r.imagesPerSecond === 'number' ? `${r.imagesPerSecond.toFixed(1)} images/s` : r.imagesPerSecond}`);
