/**
 * `npm run bench -- probe`: dvme's fitLogisticRegression against scikit-learn 1.2's
 * LogisticRegression(solver='lbfgs') at its defaults (C = 1, tol = 1e-4, max_iter = 100) on a
 * 10,000 x 2048, 5-class problem shaped like frozen-backbone embeddings, both run here on the
 * same data; plus the cost of one objective evaluation for each kernel. Standalone too:
 * `npx tsx bench/probe.bench.ts`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Xoshiro128 } from '../src/metrics/xoshiro.js';
import { JsLinearKernel, type LinearKernel } from '../src/probe/lbfgs/linear-kernel.js';
import { fitLogisticRegression, predictLogisticProba } from '../src/probe/lbfgs/logistic-regression.js';
import { createWasmKernel } from '../src/probe/lbfgs/wasm-linear-kernel.js';
import { runGroup, runPython, time, type BenchContext, type BenchGroup, type BenchRow } from './harness.js';

const N_TRAIN = 10_000;
const N_TEST = 2_000;
const D = 2048;
const K = 5;
const LATENT = 32;
const NOISE = 0.5;
const C = 1.0;
const SEED = 20240602;
const WARMUP = 1;
const RUNS = 3;
/** Test log-losses closer than this (relative) count as equal: both fits stop at max_iter, not
 *  at the optimum, and two L-BFGS paths through an ill-conditioned problem end a little apart. */
const LOG_LOSS_RTOL = 5e-3;

interface Problem {
  readonly x: Float32Array;
  readonly y: Int32Array;
}

/**
 * Embedding-like data: 32 latent factors mixed into 2048 features plus noise, rectified (pooled
 * CNN features are non-negative) and standardised with training statistics; labels from the
 * factors with Gumbel noise, so the classes are learnable but overlap.
 */
function makeProblem(): Problem {
  const rng = new Xoshiro128(SEED);
  const uniform = () => (rng.nextUint32() + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const n = N_TRAIN + N_TEST;
  const mix = Float64Array.from({ length: LATENT * D }, () => normal() / Math.sqrt(LATENT));
  const toClass = Float64Array.from({ length: LATENT * K }, normal);
  const x = new Float32Array(n * D);
  const y = new Int32Array(n);
  const z = new Float64Array(LATENT);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < LATENT; r++) z[r] = normal();
    let best = -Infinity;
    for (let c = 0; c < K; c++) {
      let t = -Math.log(-Math.log(uniform()));
      for (let r = 0; r < LATENT; r++) t += z[r] * toClass[r * K + c];
      if (t > best) [best, y[i]] = [t, c];
    }
    for (let j = 0; j < D; j++) {
      let v = NOISE * normal();
      for (let r = 0; r < LATENT; r++) v += z[r] * mix[r * D + j];
      x[i * D + j] = Math.max(v, 0);
    }
  }
  for (let j = 0; j < D; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < N_TRAIN; i++) {
      s += x[i * D + j];
      s2 += x[i * D + j] ** 2;
    }
    const mean = s / N_TRAIN;
    const sd = Math.sqrt(Math.max(s2 / N_TRAIN - mean * mean, 1e-12));
    for (let i = 0; i < n; i++) x[i * D + j] = (x[i * D + j] - mean) / sd;
  }
  return { x, y };
}

function testLogLoss(p: Problem, fit: { coef: Float64Array; intercept: Float64Array }): number {
  const proba = predictLogisticProba(p.x.subarray(N_TRAIN * D), N_TEST, D, fit, K);
  let s = 0;
  for (let i = 0; i < N_TEST; i++) s -= Math.log(Math.max(proba[i * K + p.y[N_TRAIN + i]], 1e-15));
  return s / N_TEST;
}

async function timeFit(p: Problem, precision: 'auto' | 'f64', warmup: number, runs: number) {
  const train = p.x.subarray(0, N_TRAIN * D);
  const labels = p.y.subarray(0, N_TRAIN);
  const run = () => fitLogisticRegression(train, N_TRAIN, D, labels, K, { C, precision });
  let fit = await run();
  for (let i = 1; i < warmup; i++) fit = await run();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fit = await run();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { ms: ms[ms.length >> 1], fit };
}

/** Milliseconds of one loss-and-gradient pass (both products) of each kernel. */
async function kernelTimings(p: Problem, log: (line: string) => void): Promise<void> {
  const x = p.x.subarray(0, N_TRAIN * D);
  const w = Float64Array.from({ length: K * D }, (_, i) => Math.sin(i) * 1e-2);
  const grad = new Float64Array(K * D);
  const loss = (_r: number, rows: number, z: Float64Array, g: Float64Array) => {
    for (let t = 0; t < rows * K; t++) g[t] = Math.tanh(z[t]);
  };
  const wasm = await createWasmKernel(x, N_TRAIN, D, K);
  const cases: Array<[string, LinearKernel | undefined, boolean, number]> = [
    ['TypeScript f64', new JsLinearKernel(x, N_TRAIN, D, K), false, 3],
    ['WebAssembly SIMD f64', wasm, false, 10],
    ['WebAssembly SIMD f32 (mixed mode)', wasm, true, 10],
  ];
  for (const [name, kernel, fast, runs] of cases) {
    if (!kernel) {
      log(`per evaluation, ${name}: unavailable here`);
      continue;
    }
    const t = time(() => kernel.pass(w, fast, loss, grad), { warmup: 2, runs });
    log(`per evaluation, ${name}: ${t.medianMs.toFixed(1)} ms (min ${t.minMs.toFixed(1)})`);
  }
}

export const group: BenchGroup = {
  name: 'probe',
  description:
    `fitLogisticRegression vs scikit-learn LogisticRegression(lbfgs) defaults, ${N_TRAIN} x ${D}, ${K} classes, ` +
    `C = ${C}; median of ${RUNS} fits after ${WARMUP} warm-up; value = test log-loss (${N_TEST} rows)`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const p = makeProblem();
    writeFileSync(join(ctx.tmp, 'x.bin'), new Uint8Array(p.x.buffer, p.x.byteOffset, p.x.byteLength));
    writeFileSync(join(ctx.tmp, 'y.bin'), new Uint8Array(p.y.buffer, p.y.byteOffset, p.y.byteLength));
    writeFileSync(join(ctx.tmp, 'meta.json'), JSON.stringify({ nTrain: N_TRAIN, nTest: N_TEST, d: D, numClasses: K, C }));

    const mixed = await timeFit(p, 'auto', WARMUP, RUNS);
    const exact = await timeFit(p, 'f64', 0, 1);
    const dvmeLoss = testLogLoss(p, mixed.fit);
    ctx.log(`dvme (auto = mixed): ${mixed.ms.toFixed(0)} ms, ${mixed.fit.nIter} iterations, converged ${mixed.fit.converged}`);
    ctx.log(`dvme (f64): ${exact.ms.toFixed(0)} ms (one run), ${exact.fit.nIter} iterations, test log-loss ${testLogLoss(p, exact.fit).toFixed(6)}`);
    await kernelTimings(p, ctx.log);

    const script = fileURLToPath(new URL('./probe_reference.py', import.meta.url));
    const ref = runPython(script, [ctx.tmp, String(WARMUP), String(RUNS)]);
    const row: BenchRow = { metric: 'fitLogisticRegression, 5 classes', n: N_TRAIN, dvmeMs: mixed.ms, dvmeValue: dvmeLoss };
    if (!ref.ok) {
      ctx.log(`Python reference unavailable: ${ref.reason}. Showing dvme's numbers only.`);
      return [row];
    }
    const out = ref.output as {
      versions: Record<string, string>;
      ms: number;
      nIter: number;
      testLogLoss: number;
      testAccuracy: number;
      evalMs: number | null;
    };
    ctx.log(`reference: ${Object.entries(out.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    ctx.log(`scikit-learn: ${out.ms.toFixed(0)} ms, ${out.nIter} iterations, test accuracy ${out.testAccuracy.toFixed(4)}`);
    if (out.evalMs !== null) ctx.log(`per evaluation, scikit-learn (float64 OpenBLAS): ${out.evalMs.toFixed(1)} ms`);
    const rel = Math.abs(dvmeLoss - out.testLogLoss) / out.testLogLoss;
    const same = rel <= LOG_LOSS_RTOL;
    ctx.log(
      `test log-loss: dvme ${dvmeLoss.toFixed(6)}, scikit-learn ${out.testLogLoss.toFixed(6)} ` +
        `(relative difference ${rel.toExponential(1)}, ${same ? 'equal' : 'NOT equal'} within ${LOG_LOSS_RTOL}); ` +
        `speed-up ${(out.ms / mixed.ms).toFixed(2)}x`,
    );
    if (!same) process.exitCode = 1;
    // No maxAbsDiff: the harness holds values to 1e-9, which two stopped-early fits cannot meet.
    return [{ ...row, referenceMs: out.ms, referenceValue: out.testLogLoss }];
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runGroup(group);
