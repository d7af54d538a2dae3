/**
 * `npm run bench -- backbone`: images per second of full-size ResNet-50 and ViT-S/16 (DINO's
 * embedding: CLS of the last 4 blocks) with seeded random weights, at batch 1 and 16, for
 * - dvme onnx: dvme's ONNX engine end to end from uint8 NHWC images (preprocessing, copies,
 *   pooling included), 224 px images and, at batch 16, MedMNIST-like 28 px images resized to 224;
 * - bare ort: onnxruntime on the same graph without dvme's front, fed a ready float32 NCHW batch;
 *   and bare ort on PyTorch's own `torch.onnx.export` of the same model;
 * - dvme tfjs-wasm, threads as dvme/node starts them (a few runs, not interleaved: it is slow);
 * - dvme onnx on onnxruntime-web's wasm provider (what dvme/browser runs without WebGPU; single-
 *   threaded in Node, a few runs, not interleaved), when onnxruntime-web is installed;
 * - PyTorch (Debian's torch): the best of eager, frozen TorchScript and optimize_for_inference,
 *   channels-last or not, with 1 or 2 threads, from a long-lived Python process.
 * Runs are interleaved one at a time (this machine is shared and its load drifts), with a
 * 100 ms pause before each so that onnxruntime's spinning threads (its default, and dvme's) have
 * parked; ratios are medians of per-iteration ratios. Peak RSS is measured in a fresh process per engine, batch 16.
 * `npm run bench -- backbone --soak` also embeds 2,000 28 px images, sampling RSS every batch.
 * Env: DVME_BENCH_ITERS (default 7), DVME_BENCH_MODELS (default 'resnet50,vit_small_patch16'),
 * DVME_BENCH_SPIN=0 (onnxruntime threads never spin).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EmbedOptions } from '../src/backbone/backbone.js';
import { createOnnxBackboneEngine } from '../src/backbone/engines/backbone-engine.js';
import { buildBackboneOnnx } from '../src/backbone/engines/onnx/backbone-graph.js';
import type { OnnxEmbeddingEngine } from '../src/backbone/engines/onnx-engine.js';
import type { OrtSessionLike } from '../src/backbone/engines/onnx-runtime.js';
import * as full from '../test/unit/backbone/engines/full-size.js';
import { OUT_DIR, type BenchContext, type BenchGroup, type BenchRow } from './harness.js';

type Model = full.FullSizeModel;
const ITERS = Number(process.env.DVME_BENCH_ITERS ?? 7);
const THREADS = availableParallelism();
const MODELS = (process.env.DVME_BENCH_MODELS ?? 'resnet50,vit_small_patch16').split(',') as Model[];
const TORCH_VARIANTS: Record<Model, string[]> = {
  resnet50: ['eager', 'eager-cl', 'frozen', 'frozen-cl', 'frozen-opt'],
  vit_small_patch16: ['eager', 'frozen'],
};
const PROVIDER = { package: 'onnxruntime-node', load: () => import('onnxruntime-node'), threads: THREADS };
// onnxruntime's defaults: worker threads spin briefly while waiting for work, which is what
// dvme's engine (and a plain InferenceSession) does. A spinning pool would steal the cores from
// the next engine timed, so the interleaved runs below pause between engines until it parks;
// DVME_BENCH_SPIN=0 turns spinning off everywhere instead.
const SPIN = process.env.DVME_BENCH_SPIN !== '0';
const NO_SPIN = SPIN ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } };
const SESSION = { graphOptimizationLevel: 'all', intraOpNumThreads: THREADS, interOpNumThreads: 1, executionMode: 'sequential', ...NO_SPIN };
const ENGINE = { runtime: PROVIDER, cache: false, ...(SPIN ? {} : { allowSpinning: false }) } as const;
const PAUSE_MS = 100;
const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
const median = (v: readonly number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const mb = () => process.resourceUsage().maxRSS / 1024;

/** The PyTorch server (bench/backbone_reference.py): one JSON command per line, one reply per line. */
class Reference {
  readonly #child;
  readonly #lines;
  constructor(dir: string) {
    const script = fileURLToPath(new URL('./backbone_reference.py', import.meta.url));
    // OpenBLAS' pinned kernel settings on this machine halve PyTorch's matmul speed.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'OPENBLAS_CORETYPE' && k !== 'OPENBLAS_L2_SIZE'));
    this.#child = spawn(process.env.DVME_BENCH_PYTHON ?? '/usr/bin/python3', [script, dir], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }
  async call<T = Record<string, unknown>>(cmd: Record<string, unknown>): Promise<T> {
    this.#child.stdin.write(`${JSON.stringify(cmd)}\n`);
    const { value, done } = await this.#lines.next();
    if (done) throw new Error('the Python reference exited');
    const reply = JSON.parse(value as string) as T & { error?: string };
    if (reply.error) throw new Error(`Python reference: ${reply.error}`);
    return reply;
  }
  close(): void {
    this.#child.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
  }
}

async function ortSession(bytesOrPath: Uint8Array | string): Promise<OrtSessionLike> {
  const ort = await import('onnxruntime-node');
  return (await ort.InferenceSession.create(bytesOrPath as Uint8Array, SESSION as object)) as unknown as OrtSessionLike;
}

async function floatTensor(data: Float32Array, batch: number) {
  const ort = await import('onnxruntime-node');
  return new ort.Tensor('float32', data, [batch, 3, 224, 224]);
}

function writeWeights(dir: string, model: Model, state: Map<string, { shape: readonly number[]; data: Float32Array }>): void {
  const meta: Record<string, { shape: readonly number[]; offset: number }> = {};
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [key, t] of state) {
    meta[key] = { shape: t.shape, offset };
    parts.push(t.data);
    offset += t.data.length;
  }
  const flat = new Float32Array(offset);
  parts.reduce((at, p) => (flat.set(p, at), at + p.length), 0);
  writeFileSync(join(dir, `weights-${model}.bin`), new Uint8Array(flat.buffer));
  writeFileSync(join(dir, `weights-${model}.json`), JSON.stringify(meta));
}

/** max |a - b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length ? err / scale : NaN;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

interface Line {
  model: Model;
  batch: number;
  engine: string;
  ms: number[];
  vsTorch?: number;
  vsBare?: number;
  rssMB?: number;
  relErr?: number;
}

const embedU8 = (engine: OnnxEmbeddingEngine, model: Model, u8: Uint8Array, n: number, size: number, resize: 'none' | 'direct') =>
  engine.embed('bench', { data: u8, shape: [n, size, size, 3] }, full.fullSizePreprocess(model, resize), { batchSize: n } satisfies EmbedOptions);

/**
 * dvme on tfjs-wasm as `Backbone.fromCheckpoint(..., { engine: 'tfjs' })` runs it: wasm started
 * by dvme/node's `initBackend` (one thread per core), ResNet batch norms folded. Batch 1 (1
 * warm-up, 2 runs) and batch 16 (1 warm-up, 1 run).
 */
async function tfjsWasm(model: Model, state: ReturnType<typeof full.fullSizeState>, images: Map<number, Uint8Array>) {
  const { initBackend } = await import('../src/node.js');
  const info = await initBackend();
  wasmThreads = info.threads;
  const { Backbone } = await import('../src/backbone/backbone.js');
  const { foldResNet } = await import('../src/backbone/arch/resnet-folded.js');
  let net: Parameters<typeof Backbone.fromModel>[0];
  if (model === 'resnet50') {
    const folded = foldResNet(state);
    net = { forward: folded.forward, dispose: folded.dispose };
  } else {
    net = full.fullSizeTfjsModel(model, state);
  }
  const backbone = Backbone.fromModel(net, { ...full.fullSizePreprocess(model), id: model });
  const out = new Map<number, { ms: number[]; embedding: Float32Array }>();
  for (const [batch, runs] of [[1, 3], [16, 2]] as const) {
    const ms: number[] = [];
    let embedding: Float32Array = new Float32Array(0);
    for (let r = 0; r < runs; r++) {
      ms.push(await timed(async () => (embedding = (await backbone.embed({ data: images.get(batch)!, shape: [batch, 224, 224, 3] }, { as: 'array', batchSize: batch })).data)));
    }
    // The first run of a batch size sizes memory and builds XNNPACK operators: a warm-up.
    out.set(batch, { ms: ms.slice(1), embedding });
  }
  backbone.dispose();
  return out;
}

/** Threads the tfjs wasm backend ran with (`initBackend`'s report), for the table. */
let wasmThreads: number | undefined;

const WEB_ENGINE = 'dvme onnx (onnxruntime-web wasm, not interleaved)';
const WEB_PROVIDER = {
  package: 'onnxruntime-web',
  load: async () => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1; // Node runs onnxruntime-web's wasm single-threaded
    return ort;
  },
};

/**
 * dvme's ONNX engine on onnxruntime-web's wasm provider: batch 1 (1 warm-up, 2 runs) and batch
 * 16 (1 warm-up, 1 run), after the interleaved runs so as not to change them; `undefined` without it.
 */
async function ortWebWasm(model: Model, state: ReturnType<typeof full.fullSizeState>, images: Map<number, Uint8Array>, ctx: BenchContext) {
  let engine: OnnxEmbeddingEngine;
  try {
    ({ engine } = await createOnnxBackboneEngine(model, state, full.fullSizeGraphSpec(model, true), { runtime: WEB_PROVIDER, cache: false }));
  } catch (e) {
    ctx.log(`${model}: no onnxruntime-web row (${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  }
  const out = new Map<number, { ms: number[]; embedding: Float32Array }>();
  for (const [batch, runs] of [[1, 3], [16, 2]] as const) {
    const ms: number[] = [];
    let embedding: Float32Array = new Float32Array(0);
    for (let r = 0; r < runs; r++) ms.push(await timed(async () => (embedding = await embedU8(engine, model, images.get(batch)!, batch, 224, 'none'))));
    // The first run of a batch size sizes memory and builds XNNPACK operators: a warm-up.
    out.set(batch, { ms: ms.slice(1), embedding });
  }
  engine.dispose();
  return out;
}

/** Child-process mode: one engine, two batches of 16, then its peak RSS on stdout. */
async function memoryChild(engineName: string, model: Model): Promise<void> {
  const state = full.fullSizeState(model);
  const u8 = full.seededImages(16, 224, 224, 3);
  if (engineName === 'dvme onnx') {
    const { engine } = await createOnnxBackboneEngine(model, state, full.fullSizeGraphSpec(model, true), ENGINE);
    state.clear();
    for (let r = 0; r < 2; r++) await embedU8(engine, model, u8, 16, 224, 'none');
  } else if (engineName === 'bare ort') {
    const session = await ortSession(buildBackboneOnnx(state, full.fullSizeGraphSpec(model, false)).bytes);
    state.clear();
    const x = await floatTensor(full.normalizedNchw(u8, 16, 224, 224), 16);
    for (let r = 0; r < 2; r++) await session.run({ image: x });
  } else {
    await tfjsWasm(model, state, new Map([[1, u8.subarray(0, 224 * 224 * 3)], [16, u8]]));
  }
  // onnxruntime's thread pool would keep the process alive.
  process.stdout.write(`${JSON.stringify({ maxRssMB: mb() })}\n`, () => process.exit(0));
}

function measureMemory(engineName: string, model: Model): number | undefined {
  const res = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, DVME_BENCH_MEMORY: JSON.stringify({ engine: engineName, model }) },
    encoding: 'utf8',
    timeout: 900_000,
  });
  const last = res.stdout?.trim().split('\n').pop();
  try {
    return (JSON.parse(last ?? '') as { maxRssMB: number }).maxRssMB;
  } catch {
    return undefined;
  }
}

async function benchModel(model: Model, ctx: BenchContext, lines: Line[]): Promise<void> {
  const state = full.fullSizeState(model);
  writeWeights(ctx.tmp, model, state);
  const images = new Map<number, Uint8Array>([16, 1].map((b) => [b, full.seededImages(b, 224, 224, 3)]));
  images.forEach((u8, b) => writeFileSync(join(ctx.tmp, `images-${b}.bin`), u8));
  const small = full.seededImages(16, 28, 28, 3, 11);
  const { engine, report } = await createOnnxBackboneEngine(model, state, full.fullSizeGraphSpec(model, true), ENGINE);
  ctx.log(`${model}: ${report.runtime}, ${THREADS} threads; graph built in ${report.buildMs.toFixed(0)} ms (${(report.bytes / 2 ** 20).toFixed(0)} MiB), session in ${report.sessionMs.toFixed(0)} ms`);
  const bare = await ortSession(buildBackboneOnnx(state, full.fullSizeGraphSpec(model, false)).bytes);
  const ref = new Reference(ctx.tmp);
  let mine16: Float32Array | undefined;
  const torch = await ref.call<{ torch: string }>({ cmd: 'load', model });
  await ref.call({ cmd: 'export', model, out: join(ctx.tmp, `${model}.torch.onnx`) });
  const exported = await ortSession(join(ctx.tmp, `${model}.torch.onnx`));
  ctx.log(`${model}: PyTorch ${torch.torch}; torch.onnx.export (opset 17) loaded in onnxruntime`);
  for (const batch of [1, 16]) {
    const u8 = images.get(batch)!;
    const x = await floatTensor(full.normalizedNchw(u8, batch, 224, 224), batch);
    // Pick PyTorch's best variant: each once at 2 threads, then the winner at 1 thread.
    const trial = async (variant: string, threads: number) =>
      median((await ref.call<{ ms: number[] }>({ cmd: 'time', model, batch, variant, threads, warmup: 1, runs: batch === 1 ? 3 : 1 })).ms);
    const tried: [string, number, number][] = [];
    for (const v of TORCH_VARIANTS[model]) tried.push([v, THREADS, await trial(v, THREADS)]);
    const [bestVariant] = tried.reduce((a, b) => (b[2] < a[2] ? b : a));
    if (THREADS > 1) tried.push([bestVariant, 1, await trial(bestVariant, 1)]);
    const best = tried.reduce((a, b) => (b[2] < a[2] ? b : a));
    ctx.log(`${model} b${batch} PyTorch trials: ${tried.map(([v, t, ms]) => `${v}/t${t} ${((1000 * batch) / ms).toFixed(2)} img/s`).join(', ')}`);
    const torchRun = () => ref.call({ cmd: 'time', model, batch, variant: best[0], threads: best[1], runs: 1 });
    const runs: [string, () => Promise<unknown>][] = [
      ['dvme onnx', () => embedU8(engine, model, u8, batch, 224, 'none')],
      ...(batch === 16 ? [['dvme onnx, 28 px -> 224', () => embedU8(engine, model, small, 16, 28, 'direct')] as [string, () => Promise<unknown>]] : []),
      ['bare ort', () => bare.run({ image: x })],
      ['bare ort, torch.onnx.export', () => exported.run({ input: x })],
      [`PyTorch best (${best[0]}, ${best[1]} thr)`, torchRun],
    ];
    for (const [, run] of runs) await run(); // warm-up
    const ms = runs.map(() => [] as number[]);
    // The order rotates every iteration, so that no engine always follows the same one.
    for (let i = 0; i < (batch === 1 ? 2 * ITERS : ITERS); i++) {
      for (let j = 0; j < runs.length; j++) {
        const k = (i + j) % runs.length;
        await pause();
        ms[k].push(await timed(runs[k][1]));
      }
    }
    const torchMs = ms[runs.length - 1];
    const bareMs = ms[runs.findIndex(([n]) => n === 'bare ort')];
    const paired = (a: number[], b: number[]) => median(a.map((v, i) => b[i] / v));
    runs.forEach(([name], k) => lines.push({ model, batch, engine: name, ms: ms[k], vsTorch: paired(ms[k], torchMs), vsBare: paired(ms[k], bareMs) }));
    if (batch === 16) {
      const mine = await embedU8(engine, model, u8, 16, 224, 'none');
      const bareOut = (await bare.run({ image: x })).embedding.data as Float32Array;
      const exportedOut = (await exported.run({ input: x })).embedding.data as Float32Array;
      await ref.call({ cmd: 'embed', model, batch, out: join(ctx.tmp, 'torch.bin') });
      const torchOut = new Float32Array(readFileSync(join(ctx.tmp, 'torch.bin')).buffer.slice(0));
      for (const l of lines.filter((l) => l.model === model && l.batch === 16)) {
        l.relErr = l.engine === 'bare ort' ? relErr(bareOut, mine) : l.engine.startsWith('bare ort, torch') ? relErr(exportedOut, mine) : l.engine.startsWith('PyTorch') ? relErr(torchOut, mine) : undefined;
      }
      lines.find((l) => l.model === model && l.batch === 16 && l.engine.startsWith('PyTorch'))!.rssMB = (await ref.call<{ maxRssMB: number }>({ cmd: 'rss' })).maxRssMB;
      mine16 = mine;
    }
  }
  ref.close();
  engine.dispose();
  await bare.release();
  await exported.release();
  for (const [batch, r] of (await ortWebWasm(model, state, images, ctx)) ?? []) {
    const dvme = median(lines.find((l) => l.model === model && l.batch === batch && l.engine === 'dvme onnx')!.ms);
    lines.push({ model, batch, engine: WEB_ENGINE, ms: r.ms, relErr: batch === 16 && mine16 ? relErr(r.embedding, mine16) : undefined });
    ctx.log(`${model} b${batch} onnxruntime-web wasm: ${((1000 * batch) / median(r.ms)).toFixed(2)} img/s; onnxruntime-node ${(median(r.ms) / dvme).toFixed(1)}x faster`);
  }
  const wasm = await tfjsWasm(model, state, images);
  for (const [batch, r] of wasm) {
    const dvme = median(lines.find((l) => l.model === model && l.batch === batch && l.engine === 'dvme onnx')!.ms);
    lines.push({ model, batch, engine: `dvme tfjs-wasm, ${wasmThreads ?? '?'} thr (not interleaved)`, ms: r.ms, vsBare: undefined, vsTorch: undefined, relErr: batch === 16 && mine16 ? relErr(r.embedding, mine16) : undefined });
    ctx.log(`${model} b${batch} tfjs-wasm: ${((1000 * batch) / median(r.ms)).toFixed(2)} img/s; dvme onnx ${(median(r.ms) / dvme).toFixed(1)}x faster`);
  }
  for (const name of ['dvme onnx', 'bare ort', 'dvme tfjs-wasm']) {
    const line = lines.find((l) => l.model === model && l.batch === 16 && (l.engine === name || (name === 'dvme tfjs-wasm' && l.engine.startsWith(name))));
    if (line) line.rssMB = measureMemory(name === 'dvme tfjs-wasm' ? 'tfjs-wasm' : name, model);
  }
}

function table(lines: readonly Line[]): string {
  const head = ['model', 'batch', 'engine', 'img/s', 'vs PyTorch best', 'vs bare ort', 'peak RSS MB', 'rel. diff vs dvme onnx'];
  const f = (v: number | undefined, d = 2, s = '') => (v === undefined || Number.isNaN(v) ? '-' : `${v.toFixed(d)}${s}`);
  const rows = lines.map((l) => [l.model, String(l.batch), l.engine, f((1000 * l.batch) / median(l.ms)), f(l.vsTorch, 2, 'x'), f(l.vsBare, 3, 'x'), f(l.rssMB, 0), l.relErr === undefined ? '-' : l.relErr.toExponential(1)]);
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c < 3 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** 2,000 random 28 px images through ResNet-50's ONNX engine, RSS after every batch of 16. */
async function soak(ctx: BenchContext): Promise<void> {
  const n = 2000;
  const { engine } = await createOnnxBackboneEngine('resnet50', full.fullSizeState('resnet50'), full.fullSizeGraphSpec('resnet50', true), ENGINE);
  const u8 = full.seededImages(n, 28, 28, 3, 3);
  const rss: number[] = [];
  const t0 = performance.now();
  await engine.embed('soak', { data: u8, shape: [n, 28, 28, 3] }, full.fullSizePreprocess('resnet50', 'direct'), { batchSize: 16, onProgress: () => void rss.push(process.memoryUsage().rss / 2 ** 20) });
  const s = (i: number) => `${rss[i].toFixed(0)}`;
  ctx.log(`soak: ${n} images in ${((performance.now() - t0) / 1000).toFixed(0)} s; RSS MB after batch 1: ${s(0)}, 10: ${s(9)}, 50: ${s(49)}, 100: ${s(99)}, last (${rss.length}): ${s(rss.length - 1)}; max ${Math.max(...rss).toFixed(0)}`);
  ctx.log(`soak curve (every 10th batch): ${rss.filter((_, i) => i % 10 === 0).map((v) => v.toFixed(0)).join(' ')}`);
  engine.dispose();
}

export const group: BenchGroup = {
  name: 'backbone',
  description: `embedding images/s, ResNet-50 and ViT-S/16 (random weights), batch 1 and 16: dvme onnx vs bare onnxruntime vs onnxruntime-web wasm vs tfjs-wasm vs PyTorch, ${ITERS} interleaved runs`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const python = process.env.DVME_BENCH_PYTHON ?? '/usr/bin/python3';
    const probe = spawnSync(python, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      ctx.log(`PyTorch reference unavailable (${python}: ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}); this group compares against it, so it needs python3-torch and python3-torchvision (or DVME_BENCH_PYTHON).`);
      return [];
    }
    const lines: Line[] = [];
    for (const model of MODELS) await benchModel(model, ctx, lines);
    ctx.log(`\n${table(lines)}`);
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, 'backbone-engines.json'), `${JSON.stringify(lines, null, 1)}\n`);
    if (process.argv.includes('--soak')) await soak(ctx);
    // The harness table: dvme onnx against PyTorch's best, per model and batch (img/s as values).
    return lines
      .filter((l) => l.engine === 'dvme onnx')
      .map((l) => {
        const torch = lines.find((t) => t.model === l.model && t.batch === l.batch && t.engine.startsWith('PyTorch'))!;
        return { metric: `${l.model} b${l.batch}, img/s vs PyTorch best`, n: l.batch, dvmeMs: median(l.ms), referenceMs: median(torch.ms), dvmeValue: (1000 * l.batch) / median(l.ms), referenceValue: (1000 * l.batch) / median(torch.ms) };
      });
  },
};

if (process.env.DVME_BENCH_MEMORY) {
  const { engine, model } = JSON.parse(process.env.DVME_BENCH_MEMORY) as { engine: string; model: Model };
  await memoryChild(engine, model);
}
