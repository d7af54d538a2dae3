/**
 * `npm run verify:parity`: end-to-end parity of `Backbone.fromCheckpoint` with PyTorch on
 * FULL-SIZE models, on the tfjs wasm backend. Too slow for `npm test` (minutes, ~1 GB of
 * temporary checkpoints), so it is a separate command.
 *
 *   npx tsx scripts/verify-parity/run.ts [--archs=resnet50,vit_small_patch16,vit_small_patch8] [--keep]
 *
 * generate.py (run with `$DVME_PYTHON`, default /usr/bin/python3, which needs torch and
 * torchvision) writes seeded-random checkpoints of each architecture in four forms (torch zip,
 * torch legacy, safetensors, float16 safetensors) and torch's float64 embeddings of 4 fixed
 * images into a temporary folder; this script loads every file, embeds the images, and prints
 * max |dvme - torch| relative to max |torch| (PASS below 1e-4), the load time and the embedding
 * throughput at batch 16. It exits non-zero on any failure. Nothing is written outside the
 * temporary folder, which is removed unless --keep is given.
 *
 * Engines: every file is checked on the tfjs engine (wasm) and, when onnxruntime-node is
 * installed, on the ONNX engine too (`--engines=tfjs` or `--engines=onnx` picks one).
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackboneArchitectureId } from '../../src/backbone/architectures.js';
import { Backbone } from '../../src/backbone/backbone.js';
import { nodePlatform } from '../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../src/host/platform.js';

const TOLERANCE = 1e-4;
const THROUGHPUT_BATCH = 16;
const here = dirname(fileURLToPath(import.meta.url));

interface Reference {
  images: { file: string; shape: [number, number, number, number] };
  archs: Record<string, { float32: number[][]; float16: number[][]; torchFloat32: { float32: number[][]; float16: number[][] } }>;
}

type Engine = 'tfjs' | 'onnx';
const ORT = { package: 'onnxruntime-node', load: () => import('onnxruntime-node') };

interface Row {
  engine: Engine;
  arch: string;
  file: string;
  detected: string;
  maxAbsDiff: number;
  maxTorch: number;
  relative: number;
  torchF32Relative: number;
  pass: boolean;
  loadSeconds: number;
  imagesPerSecond: number | null;
  error?: string;
}

const FORMATS = [
  { suffix: 'zip.pth', reference: 'float32' },
  { suffix: 'legacy.pth', reference: 'float32' },
  { suffix: 'safetensors', reference: 'float32' },
  { suffix: 'fp16.safetensors', reference: 'float16' },
] as const;

function option(name: string): string | undefined {
  const arg = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return arg === undefined ? undefined : (arg.split('=')[1] ?? '');
}

/** max |a - b| and max |b| over row-major data. */
function compare(actual: ArrayLike<number>, expected: readonly number[][]): { diff: number; scale: number } {
  const flat = expected.flat();
  if (actual.length !== flat.length) throw new Error(`embedding has ${actual.length} values, torch ${flat.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < flat.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - flat[i]));
    scale = Math.max(scale, Math.abs(flat[i]));
  }
  return { diff, scale };
}

async function verify(engine: Engine, arch: string, path: string, file: string, reference: number[][], torchF32: number[][], images: { data: Uint8Array; shape: number[] }, timeIt: boolean): Promise<Row> {
  const start = performance.now();
  const backbone = await Backbone.fromCheckpoint(arch as BackboneArchitectureId, path, {
    resize: 'none',
    engine,
    ...(engine === 'onnx' ? { onnx: { runtime: ORT, cache: false } } : {}),
  });
  const loadSeconds = (performance.now() - start) / 1000;
  try {
    const report = backbone.loadReport!;
    const detected = `${report.format} ${report.dtypes.join('+')} ${report.layout.id}`;
    const out = await backbone.embed(images, { as: 'array', batchSize: images.shape[0] });
    const { diff, scale } = compare(out.data, reference);
    const f32 = compare(torchF32.flat(), reference);
    let imagesPerSecond: number | null = null;
    if (timeIt) {
      // Batch 16 from the 4 images, after the parity pass above has warmed the kernels up.
      const n = images.shape[0];
      const reps = THROUGHPUT_BATCH / n;
      const data = new Uint8Array(images.data.length * reps);
      for (let r = 0; r < reps; r++) data.set(images.data, r * images.data.length);
      const t0 = performance.now();
      await backbone.embed({ data, shape: [THROUGHPUT_BATCH, ...images.shape.slice(1)] }, { as: 'array', batchSize: THROUGHPUT_BATCH });
      imagesPerSecond = THROUGHPUT_BATCH / ((performance.now() - t0) / 1000);
    }
    const relative = diff / scale;
    return {
      engine, arch, file, detected, maxAbsDiff: diff, maxTorch: scale, relative, torchF32Relative: f32.diff / f32.scale,
      pass: relative < TOLERANCE, loadSeconds, imagesPerSecond,
    };
  } finally {
    backbone.dispose();
  }
}

function printTable(rows: Row[], backend: string): void {
  const head = ['engine', 'architecture', 'file', 'detected (format dtype layout)', 'max|dvme-torch|', 'max|torch|', 'relative', 'torch f32 rel', 'result', 'load s', `img/s @${THROUGHPUT_BATCH}`];
  const e = (x: number) => x.toExponential(2);
  const cells = rows.map((r) => [
    r.engine === 'tfjs' ? `tfjs ${backend}` : 'onnxruntime-node', r.arch, r.file, r.detected, r.error ? '-' : e(r.maxAbsDiff), r.error ? '-' : r.maxTorch.toPrecision(5), r.error ? '-' : e(r.relative),
    r.error ? '-' : e(r.torchF32Relative), r.pass ? 'PASS' : 'FAIL', r.loadSeconds.toFixed(2), r.imagesPerSecond === null ? '' : r.imagesPerSecond.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
  for (const r of rows) if (r.error) console.log(`FAIL ${r.engine} ${r.arch} ${r.file}: ${r.error}`);
}

async function main(): Promise<void> {
  const archs = (option('archs') || 'resnet50,vit_small_patch16,vit_small_patch8').split(',');
  const keep = option('keep') !== undefined;
  let engines = (option('engines') || 'tfjs,onnx').split(',') as Engine[];
  if (engines.includes('onnx') && option('engines') === undefined) {
    try {
      await ORT.load();
    } catch {
      console.log('onnxruntime-node is not installed: checking the tfjs engine only.');
      engines = engines.filter((e) => e !== 'onnx');
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'dvme-parity-'));
  const python = process.env.DVME_PYTHON ?? '/usr/bin/python3';
  try {
    console.log(`Generating ${archs.join(', ')} checkpoints and torch references in ${dir} ...`);
    const gen = spawnSync(python, [join(here, 'generate.py'), dir, ...archs], { stdio: 'inherit' });
    if (gen.status !== 0) throw new Error(`${python} generate.py exited with ${gen.status ?? gen.signal}`);
    await tf.setBackend('wasm');
    await tf.ready();
    registerPlatform(nodePlatform);
    const backend = `${tf.getBackend()}${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? ' simd' : ''}`;
    const reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;
    const images = { data: new Uint8Array(readFileSync(join(dir, reference.images.file))), shape: reference.images.shape };
    console.log(`node ${process.version}, tfjs ${tf.version_core} backend ${backend}, ${images.shape[0]} images of ${images.shape[1]} x ${images.shape[2]}\n`);
    const rows: Row[] = [];
    for (const engine of engines) {
      for (const arch of archs) {
        const refs = reference.archs[arch];
        for (const [i, format] of FORMATS.entries()) {
          const file = `${arch}.${format.suffix}`;
          try {
            rows.push(await verify(engine, arch, join(dir, file), file, refs[format.reference], refs.torchFloat32[format.reference], images, i === 0));
          } catch (e) {
            rows.push({ engine, arch, file, detected: '-', maxAbsDiff: NaN, maxTorch: NaN, relative: NaN, torchF32Relative: NaN, pass: false, loadSeconds: NaN, imagesPerSecond: null, error: String(e) });
          }
          console.log(`  ${engine} ${file}: ${rows.at(-1)!.pass ? 'PASS' : 'FAIL'}`);
        }
      }
    }
    console.log('');
    printTable(rows, backend);
    console.log(`\nPASS: relative error (max|dvme - torch| / max|torch|, torch in float64 on the same stored weights) < ${TOLERANCE}. ` +
      "'torch f32 rel' is torch's own float32 run against the same reference: the float32 noise floor. " +
      'Throughput is measured once per architecture, on its first file.');
    if (rows.some((r) => !r.pass)) process.exitCode = 1;
  } finally {
    if (keep) console.log(`Kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
