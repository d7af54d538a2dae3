/**
 * `npm run bench -- training`: whole training runs against PyTorch and scikit-learn on the same
 * data, in alternation (dvme, reference, dvme, reference: this machine is shared and its load
 * drifts), medians of every timed run.
 *
 * - `'paper'` solver (Adam, batch 64, ReduceLROnPlateau, early stopping, best weights) on a
 *   linear head, 546 x 2048 embedding-like features with 78 validation rows (BreastMNIST's split
 *   sizes), binary and 5 classes; and ConcatProbe on three sources (2048 + 2048 + 1536).
 *   dvme runs `fitPaper` (host engine; the tensor engine, the code before, once on tfjs' wasm
 *   backend); PyTorch trains nn.Linear with the same protocol for as many epochs as dvme ran,
 *   timed with 1 thread and with its default.
 * - Fusion heads on the same three sources for a fixed number of epochs (DVME source tokens 3,
 *   DVME feature tokens 1, DME 3) against the PyTorch modules of the parity fixtures
 *   (scripts/fixtures/dvme_reference.py; DME as dvme builds it), same protocol, 1 thread.
 * - `solver: 'lbfgs'` (fitLogisticRegression) against scikit-learn's LogisticRegression(lbfgs)
 *   at C = 1 on standardised MedMNIST pixels: PneumoniaMNIST (first 546 rows, binary; BreastMNIST
 *   is not among the shared data sets), RetinaMNIST (1080 x 2352, 5 classes) and RetinaMNIST
 *   as 3 labels (grade >= 1, 2, 3; one binary fit per label). Value: validation log-loss.
 *
 * Env: DVME_BENCH_ROUNDS (alternations, default 2), DVME_BENCH_DATA (default /work/shared/data),
 * DVME_BENCH_ONLY (comma-separated case names, e.g. `dvme-source,dme`), DVME_BENCH_FUSION=0
 * (skip the fusion heads).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { readNpz } from '../src/data/npz.js';
import type { EmbeddingMatrix } from '../src/data/embedding-matrix.js';
import { ConcatProbe, DynamicMetaEmbedding, DynamicVisualMetaEmbedding } from '../src/index.js';
import { fitLogisticRegression, predictLogisticProba } from '../src/probe/lbfgs/logistic-regression.js';
import { fitPaper } from '../src/probe/paper-solver.js';
import { Xoshiro128 } from '../src/random/xoshiro.js';
import type { ProbeTask, Targets } from '../src/training/labels.js';
import { resolvePaperHyperparameters } from '../src/training/paper-options.js';
import { runGroup, runPython, type BenchContext, type BenchGroup, type BenchRow } from './harness.js';

const ROUNDS = Number(process.env.DVME_BENCH_ROUNDS ?? 2);
const DATA = process.env.DVME_BENCH_DATA ?? '/work/shared/data';
const SCRIPT = fileURLToPath(new URL('./training_reference.py', import.meta.url));
const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Case {
  readonly name: string;
  readonly kind: 'paper' | 'concat' | 'fusion' | 'lbfgs';
  /** 'fusion': the head, trained for exactly `epochs` epochs. */
  readonly model?: 'dvme-source' | 'dvme-feature' | 'dme';
  readonly epochs?: number;
  readonly task: ProbeTask;
  readonly x: Float32Array;
  readonly xv: Float32Array;
  /** Class indices, or [n, k] indicators (multilabel). */
  readonly y: Int32Array | Uint8Array;
  readonly yv: Int32Array | Uint8Array;
  readonly d: number;
  /** Logits (1 for binary). */
  readonly k: number;
  readonly sources?: readonly number[];
}

/** Embedding-like rows: latent factors mixed into d features plus noise, rectified, standardised. */
function embeddings(n: number, d: number, classes: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Xoshiro128(seed);
  const u = () => (rng.nextUint32() + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const latent = 16;
  const mix = Float64Array.from({ length: latent * d }, () => normal() / Math.sqrt(latent));
  const toClass = Float64Array.from({ length: latent * classes }, normal);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  const z = new Float64Array(latent);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < latent; r++) z[r] = normal();
    let best = -Infinity;
    for (let c = 0; c < classes; c++) {
      let t = 2 * normal();
      for (let r = 0; r < latent; r++) t += z[r] * toClass[r * classes + c];
      if (t > best) [best, y[i]] = [t, c];
    }
    for (let j = 0; j < d; j++) {
      let v = 0.5 * normal();
      for (let r = 0; r < latent; r++) v += z[r] * mix[r * d + j];
      x[i * d + j] = Math.max(v, 0);
    }
  }
  return { x: standardise(x, n, d, n), y };
}

/** Column standardisation with the statistics of the first `fitRows` rows. */
function standardise(x: Float32Array, n: number, d: number, fitRows: number): Float32Array {
  for (let j = 0; j < d; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < fitRows; i++) [s, s2] = [s + x[i * d + j], s2 + x[i * d + j] ** 2];
    const mean = s / fitRows;
    const sd = Math.sqrt(Math.max(s2 / fitRows - mean * mean, 0)) || 1;
    for (let i = 0; i < n; i++) x[i * d + j] = (x[i * d + j] - mean) / sd;
  }
  return x;
}

function split(all: { x: Float32Array; y: Int32Array }, n: number, d: number) {
  return { x: all.x.subarray(0, n * d), xv: all.x.subarray(n * d), y: all.y.subarray(0, n), yv: all.y.subarray(n) };
}

async function pixels(file: string, rows: number | undefined) {
  const npz = await readNpz(new Uint8Array(readFileSync(join(DATA, file))));
  const part = (p: string) => {
    const img = npz.get(`${p}_images`)!;
    const lab = npz.get(`${p}_labels`)!;
    const n = Math.min(rows ?? img.shape[0], img.shape[0]);
    const d = img.shape.slice(1).reduce((a, b) => a * b, 1);
    return { x: Float32Array.from((img.data as Uint8Array).subarray(0, n * d)), y: Int32Array.from((lab.data as ArrayLike<number>) as Uint8Array).subarray(0, n), n, d };
  };
  const [tr, va] = [part('train'), part('val')];
  const x = new Float32Array((tr.n + va.n) * tr.d);
  x.set(tr.x);
  x.set(va.x, tr.x.length);
  standardise(x, tr.n + va.n, tr.d, tr.n);
  return { x: x.subarray(0, tr.x.length), xv: x.subarray(tr.x.length), y: tr.y, yv: va.y, d: tr.d };
}

async function cases(): Promise<Case[]> {
  const out: Case[] = [];
  const [n, nv] = [546, 78];
  const bin = split(embeddings(n + nv, 2048, 2, 1), n, 2048);
  out.push({ name: 'paper-binary', kind: 'paper', task: 'binary', ...bin, d: 2048, k: 1 });
  const mc = split(embeddings(n + nv, 2048, 5, 2), n, 2048);
  out.push({ name: 'paper-multiclass', kind: 'paper', task: 'multiclass', ...mc, d: 2048, k: 5 });
  const cat = split(embeddings(n + nv, 5632, 2, 3), n, 5632);
  out.push({ name: 'concat-3-sources', kind: 'concat', task: 'binary', ...cat, d: 5632, k: 1, sources: [2048, 2048, 1536] });
  // Fusion heads on the same three sources, a fixed number of epochs (DVME's feature tokens
  // attend over 1536 one-dimensional tokens: a heavy epoch).
  for (const [model, epochs] of [['dvme-source', 3], ['dvme-feature', 1], ['dme', 3]] as const) {
    if (process.env.DVME_BENCH_FUSION === '0') break;
    out.push({ name: model, kind: 'fusion', model, epochs, task: 'binary', ...cat, d: 5632, k: 1, sources: [2048, 2048, 1536] });
  }
  if (process.env.DVME_BENCH_ONLY) return out.filter((c) => process.env.DVME_BENCH_ONLY!.split(',').includes(c.name));
  if (!existsSync(join(DATA, 'retinamnist.npz'))) return out;
  const pn = await pixels('pneumoniamnist.npz', 546);
  out.push({ name: 'lbfgs-binary', kind: 'lbfgs', task: 'binary', ...pn, k: 1 });
  const rt = await pixels('retinamnist.npz', undefined);
  out.push({ name: 'lbfgs-multiclass', kind: 'lbfgs', task: 'multiclass', ...rt, k: 5 });
  const grades = (y: Int32Array) => Uint8Array.from({ length: y.length * 3 }, (_, t) => (y[Math.floor(t / 3)] >= (t % 3) + 1 ? 1 : 0));
  out.push({ name: 'lbfgs-multilabel', kind: 'lbfgs', task: 'multilabel', ...rt, y: grades(rt.y), yv: grades(rt.yv), k: 3 });
  return out;
}

const targets = (c: Case, y: Int32Array | Uint8Array): Targets =>
  c.task === 'multilabel'
    ? { kind: 'indicator', data: y as Uint8Array, numLabels: c.k }
    : { kind: 'index', index: y as Int32Array, numClasses: Math.max(c.k, 2) };

/** The concatenated rows of a concat case, one matrix per source (made once, outside the timing). */
let split3: { train: Record<string, EmbeddingMatrix>; val: Record<string, EmbeddingMatrix> } | undefined;
function bySourceOf(c: Case, x: Float32Array, rows: number): Record<string, EmbeddingMatrix> {
  let o = 0;
  return Object.fromEntries(
    (c.sources as number[]).map((w, j) => {
      const data = new Float32Array(rows * w);
      for (let i = 0; i < rows; i++) data.set(x.subarray(i * c.d + o, i * c.d + o + w), i * w);
      o += w;
      return [`s${j}`, { data, shape: [rows, w] as [number, number] }];
    }),
  );
}

/** One dvme fit; returns its epochs (paper) and the validation log-loss (lbfgs). */
async function dvmeFit(c: Case, engine: 'host' | 'tensor'): Promise<{ epochs: number; value: number; objective?: number }> {
  const n = c.x.length / c.d;
  const nv = c.xv.length / c.d;
  if (c.kind === 'paper') {
    const r = await fitPaper(
      {
        task: c.task, x: { data: c.x, rows: n, cols: c.d }, targets: targets(c, c.y), outputs: c.k, weights: undefined,
        validation: { x: { data: c.xv, rows: nv, cols: c.d }, targets: targets(c, c.yv) },
        hp: resolvePaperHyperparameters(c.task, false, {}), rng: new Xoshiro128(7),
      },
      engine,
    );
    return { epochs: r.report.epochs, value: r.report.history[r.report.bestEpoch - 1].value };
  }
  if (c.kind === 'concat' || c.kind === 'fusion') {
    const widths = c.sources as number[];
    const { train, val } = (split3 ??= { train: bySourceOf(c, c.x, n), val: bySourceOf(c, c.xv, nv) });
    const sources = Object.fromEntries(widths.map((w, j) => [`s${j}`, w]));
    const fixed = { minEpochs: c.epochs, maxEpochs: c.epochs };
    const est =
      c.kind === 'concat' ? new ConcatProbe({ task: 'binary', sources, seed: 7 })
      : c.model === 'dme' ? new DynamicMetaEmbedding({ task: 'binary', sources, seed: 7, ...fixed })
      : new DynamicVisualMetaEmbedding({ task: 'binary', sources, seed: 7, tokens: c.model === 'dvme-feature' ? 'feature' : 'source', ...fixed });
    try {
      await est.fit(train, c.y as Int32Array, { validation: { x: val, y: c.yv as Int32Array } });
      return { epochs: est.history.length, value: Math.max(...est.history.map((h) => h.value)) };
    } finally {
      est.dispose();
    }
  }
  // lbfgs: as fitLbfgs runs it (one binary fit per label for multilabel).
  const fits = c.task === 'multilabel'
    ? Array.from({ length: c.k }, (_, j) => ({ j, y: Int32Array.from({ length: n }, (_, i) => (c.y as Uint8Array)[i * c.k + j]) }))
    : [{ j: 0, y: c.y as Int32Array }];
  let loss = 0;
  let objective = 0;
  for (const f of fits) {
    const classes = c.task === 'multiclass' ? c.k : 2;
    const r = await fitLogisticRegression(c.x, n, c.d, f.y, classes, { C: 1 });
    objective += r.loss;
    const p = predictLogisticProba(c.xv, nv, c.d, r, classes);
    for (let i = 0; i < nv; i++) {
      if (c.task === 'multiclass') loss -= Math.log(Math.max(p[i * classes + (c.yv as Int32Array)[i]], 1e-15)) / nv;
      else {
        const yi = c.task === 'multilabel' ? (c.yv as Uint8Array)[i * c.k + f.j] : (c.yv as Int32Array)[i];
        const pi = Math.min(Math.max(p[i * 2 + 1], 1e-15), 1 - 1e-15);
        loss -= (yi ? Math.log(pi) : Math.log(1 - pi)) / (nv * fits.length);
      }
    }
  }
  return { epochs: 0, value: loss, objective };
}

function writeCase(dir: string, c: Case, epochs: number): void {
  const bytes = (a: Float32Array | Int32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const n = c.x.length / c.d;
  const meta = {
    kind: c.kind === 'lbfgs' ? 'lbfgs' : 'paper', task: c.task, n, nVal: c.xv.length / c.d, d: c.d, k: c.k, epochs, batch: 64, lr: 1e-3, C: 1,
    ...(c.kind === 'fusion' ? { sources: c.sources, model: c.model } : {}),
  };
  writeFileSync(join(dir, `${c.name}.json`), JSON.stringify(meta));
  for (const [suffix, a] of [['x', c.x], ['xv', c.xv], ['y', c.y], ['yv', c.yv]] as const) writeFileSync(join(dir, `${c.name}.${suffix}.bin`), bytes(a));
}

export const group: BenchGroup = {
  name: 'training',
  description:
    `whole fits, dvme (1 thread) vs PyTorch (1 thread / default) and scikit-learn, ${ROUNDS} alternations; ` +
    'ratio = reference / dvme (> 1: dvme faster); value = best validation monitor (paper) or validation log-loss (lbfgs)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    await tf.setBackend('wasm');
    await tf.ready();
    const rows: BenchRow[] = [];
    for (const c of await cases()) {
      const dvmeMs: number[] = [];
      const dvmeCpu: number[] = [];
      const refRuns: Record<string, number[]> = {};
      const refCpu: Record<string, number[]> = {};
      let res = await dvmeFit(c, 'host'); // warm-up
      writeCase(ctx.tmp, c, res.epochs);
      let ref: { value: number; versions: Record<string, string>; nIter?: number[]; objective?: number } | undefined;
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < 2; i++) {
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          res = await dvmeFit(c, 'host');
          const cpu = process.cpuUsage(c0);
          dvmeMs.push(performance.now() - t0);
          dvmeCpu.push((cpu.user + cpu.system) / 1000);
        }
        const out = runPython(SCRIPT, [ctx.tmp, c.name, r === 0 ? '1' : '0', '2']);
        if (!out.ok) {
          ctx.log(`${c.name}: reference unavailable (${out.reason})`);
          break;
        }
        const o = out.output as { value: number; versions: Record<string, string>; nIter?: number[]; objective?: number; timings: Record<string, { runsMs: number[]; cpuMs: number[] }> };
        ref = o;
        for (const [threads, t] of Object.entries(o.timings)) {
          (refRuns[threads] ??= []).push(...t.runsMs);
          (refCpu[threads] ??= []).push(...t.cpuMs);
        }
      }
      const ms = median(dvmeMs);
      const cpuMs = median(dvmeCpu);
      let line = `${c.name}: dvme ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (runs ${dvmeMs.map((v) => v.toFixed(0)).join(', ')})`;
      if (c.kind === 'paper') {
        const t0 = performance.now();
        await dvmeFit(c, 'tensor');
        line += `; before (tensor engine, tfjs wasm, 1 run) ${(performance.now() - t0).toFixed(0)} ms`;
      }
      for (const [threads, v] of Object.entries(refRuns)) {
        const who = c.kind === 'lbfgs' ? `scikit-learn (BLAS threads ${threads})` : `PyTorch ${threads} thread(s)`;
        const cpu = median(refCpu[threads]);
        line += `; ${who} ${median(v).toFixed(0)} ms wall, ${cpu.toFixed(0)} ms CPU -> ratio ${(median(v) / ms).toFixed(2)}x wall, ${(cpu / cpuMs).toFixed(2)}x CPU`;
      }
      if (c.kind !== 'lbfgs') line += `; ${res.epochs} epochs`;
      if (ref?.nIter) line += `; sklearn iterations ${ref.nIter.join(', ')}`;
      if (ref?.objective !== undefined && res.objective !== undefined) {
        const rel = (res.objective - ref.objective) / ref.objective;
        line += `; fitted objective dvme ${res.objective.toFixed(4)} vs scikit-learn ${ref.objective.toFixed(4)} (${rel >= 0 ? '+' : ''}${rel.toExponential(1)})`;
        line += `; validation log-loss ${res.value.toFixed(4)} vs ${ref.value.toFixed(4)}`;
      }
      ctx.log(line);
      const first = Object.values(refRuns)[0];
      const oneThread = refRuns['1'] ? median(refRuns['1']) : first && median(first);
      rows.push({ metric: `${c.name} (${c.x.length / c.d} x ${c.d})`, n: c.x.length / c.d, dvmeMs: ms, referenceMs: oneThread, dvmeValue: res.value, referenceValue: ref?.value });
    }
    return rows;
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runGroup(group);
