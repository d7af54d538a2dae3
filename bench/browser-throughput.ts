/**
 * Embedding throughput in headless Chromium and in Node, in one run, at 224 x 224, batch 16:
 *
 * - MobileNetV2 (the tfjs graph model under shared/models) per tfjs backend that starts in the
 *   page (wasm; WebGL, on SwiftShader without a GPU; WebGPU when the browser gives an adapter),
 *   and in Node (dvme/node, wasm);
 * - ResNet-50 built by dvme from a checkpoint (`Backbone.fromCheckpoint('resnet50', ...)`, seeded
 *   random weights from bench/resnet50-checkpoint.ts: speed does not depend on the values) on
 *   the ONNX engine (onnxruntime-web's wasm provider in the page, onnxruntime-node in Node) and on
 *   the tfjs engine (tfjs wasm in the page and in Node).
 *
 *   DVME_SHARED_DIR=/work/shared npm run bench:browser [-- --batches 3] [-- --model resnet50]
 *
 * `--model` is `mobilenet`, `resnet50` or `all` (the default). */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Backbone, initBackend } from '../src/node.js';
import { ensureResNet50Checkpoint } from './resnet50-checkpoint.js';
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
const atModel = process.argv.indexOf('--model');
const MODEL = atModel > 0 ? (process.argv[atModel + 1] as string) : 'all';
if (!['mobilenet', 'resnet50', 'all'].includes(MODEL)) throw new Error(`--model is mobilenet, resnet50 or all; received ${MODEL}.`);
const MOBILENET = MODEL !== 'resnet50';
const RESNET = MODEL !== 'mobilenet';
const checkpoint = RESNET ? ensureResNet50Checkpoint() : undefined;

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
const results: Array<{ model: string; where: string; imagesPerSecond: number | string }> = [];

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
const mounts: Record<string, string> = { '/': join(out, 'site'), '/wasm/': join(out, 'wasm'), '/img/': join(out, 'img'), '/models/': MODELS };
if (checkpoint) mounts['/ckpt/'] = dirname(checkpoint);
const server = await serveStatic(mounts);
const browser = await launchChromium();
try {
  const open = async (backend: string) => {
    const { page } = await openAndRead<unknown>(browser, `${server.url}/index.html?backends=${backend}`);
    const evaluate = <T>(method: string, ...args: unknown[]) =>
      page.evaluate(([m, a]) => (window as unknown as { dvmeTest: Record<string, (...x: unknown[]) => unknown> }).dvmeTest[m as string]!(...(a as unknown[])), [method, args] as const) as Promise<T>;
    return { page, evaluate };
  };
  for (const backend of MOBILENET ? ['wasm', 'webgl', 'webgpu'] : []) {
    const { page, evaluate } = await open(backend);
    try {
      const info = await evaluate<{ backend: string }>('init');
      // WebGL on SwiftShader is slow: one timed batch.
      const ips = await evaluate<number>('throughput', names, backend === 'webgl' ? 1 : BATCHES);
      results.push({ model: 'MobileNetV2', where: `Chromium, ${info.backend}`, imagesPerSecond: ips });
    } catch (e) {
      results.push({ model: 'MobileNetV2', where: `Chromium, ${backend}`, imagesPerSecond: `did not start: ${(e as Error).message.split('\n')[0]}` });
    }
    await page.context().close();
  }
  for (const engine of RESNET ? ['onnx', 'tfjs'] : []) {
    // tfjs on wasm for the tfjs engine; onnxruntime-web (wasm provider) for the ONNX engine.
    const { page, evaluate } = await open('wasm');
    try {
      await evaluate('init');
      const r = await evaluate<{ imagesPerSecond: number; engine: string; runtime: string; finite: boolean }>('checkpointThroughput', names, `/ckpt/${basename(checkpoint!)}`, engine, BATCHES);
      if (!r.finite) throw new Error('the embeddings are not finite');
      results.push({ model: 'ResNet-50', where: `Chromium, ${r.engine} engine, ${r.runtime}`, imagesPerSecond: r.imagesPerSecond });
    } catch (e) {
      results.push({ model: 'ResNet-50', where: `Chromium, ${engine} engine`, imagesPerSecond: `did not start: ${(e as Error).message.split('\n')[0]}` });
    }
    await page.context().close();
  }
} finally {
  await browser.close();
  await server.close();
  removeAll(app, out, pkg);
}

await initBackend();
const batch = Array.from({ length: 16 }, (_, i) => pictures[i % pictures.length]!.pixels);

/** Images per second of `backbone` at batch 16, one warm-up batch first; disposes it. */
async function nodeThroughput(backbone: Backbone): Promise<number> {
  const warm = await backbone.embed(batch, { as: 'array', batchSize: 16 });
  if (!Array.from(warm.data).every(Number.isFinite)) throw new Error('the embeddings are not finite');
  const start = performance.now();
  for (let i = 0; i < BATCHES; i += 1) await backbone.embed(batch, { as: 'array', batchSize: 16 });
  const ips = (16 * BATCHES) / ((performance.now() - start) / 1000);
  backbone.dispose();
  return ips;
}

if (MOBILENET) {
  const backbone = await Backbone.fromTfjs(join(MODELS, 'mobilenet_v2_nsfwjs/model.json'), { embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1] });
  results.push({ model: 'MobileNetV2', where: 'Node, dvme/node wasm', imagesPerSecond: await nodeThroughput(backbone) });
}
if (RESNET) {
  const onnx = await Backbone.fromCheckpoint('resnet50', checkpoint!, { engine: 'onnx', onnx: { cache: false } });
  const runtime = onnx.engine?.runtime ?? 'onnxruntime';
  results.push({ model: 'ResNet-50', where: `Node, onnx engine, ${runtime}`, imagesPerSecond: await nodeThroughput(onnx) });
  const tfjs = await Backbone.fromCheckpoint('resnet50', checkpoint!, { engine: 'tfjs' });
  results.push({ model: 'ResNet-50', where: 'Node, tfjs engine, dvme/node wasm', imagesPerSecond: await nodeThroughput(tfjs) });
}

console.log(`224 x 224, batch 16, ${BATCHES} timed batches after one warm-up (load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}):`);
for (const r of results) console.log(`  ${r.model.padEnd(12)} ${r.where.padEnd(48)} ${typeof r.imagesPerSecond === 'number' ? `${r.imagesPerSecond.toFixed(2)} images/s` : r.imagesPerSecond}`);
