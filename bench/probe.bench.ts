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
import { Xoshiro128 } from '../src/random/xoshiro.js';
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
export function makeProblem(): Problem {
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
  const cpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    fit = await run();
    const c = process.cpuUsage(c0);
    ms.push(performance.now() - t0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  ms.sort((a, b) => a - b);
  cpuMs.sort((a, b) => a - b);
  // dvme runs on one thread, so its CPU time is what the wall time would be on an idle machine.
  return { ms: ms[ms.length >> 1], minMs: ms[0], cpuMs: cpuMs[cpuMs.length >> 1], fit };
}

/**
 * Milliseconds of one loss-and-gradient pass (both products) of each kernel, as the fit runs it:
 * class rows of W summing to zero, so the last class is derived rather than multiplied out.
 */
async function kernelTimings(p: Problem, log: (line: string) => void): Promise<void> {
  const x = p.x.subarray(0, N_TRAIN * D);
  const w = Float64Array.from({ length: K * D }, (_, i) => (i < (K - 1) * D ? Math.sin(i) * 1e-2 : 0));
  for (let j = 0; j < D; j++) for (let c = 0; c < K - 1; c++) w[(K - 1) * D + j] -= w[c * D + j];
  const grad = new Float64Array(K * D);
  const loss = (_r: number, rows: number, z: Float64Array, g: Float64Array) => {
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < K - 1; c++) sum += g[r * K + c] = Math.tanh(z[r * K + c]);
      g[r * K + K - 1] = -sum;
    }
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
    const t = time(() => kernel.pass(w, fast, loss, grad, true), { warmup: 2, runs });
    log(`per evaluation, ${name}: ${t.medianMs.toFixed(1)} ms (min ${t.minMs.toFixed(1)})`);
  }
  await tfjsWasmTiming(x, w, log);
}

/**
 * The alternative dvme did not take, for the record: tfjs-backend-wasm's matMul (XNNPACK, SIMD,
 * single-threaded under Node) with X and X^T resident as tensors, W and G uploaded per call.
 */
async function tfjsWasmTiming(x: Float32Array, w: Float64Array, log: (line: string) => void): Promise<void> {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
    const X = tf.tensor2d(x, [N_TRAIN, D]);
    const XT = tf.transpose(X);
    const g = Float32Array.from({ length: N_TRAIN * K }, (_, i) => Math.sin(i));
    // W^T as [D, K]: a transposed operand sends XNNPACK down a much slower path.
    const wt = Float32Array.from({ length: D * K }, (_, i) => w[(i % K) * D + Math.floor(i / K)]);
    const ms: number[] = [];
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now();
      const out = tf.tidy(() => {
        const z = tf.matMul(X, tf.tensor2d(wt, [D, K]));
        return [z, tf.matMul(XT, tf.tensor2d(g, [N_TRAIN, K]))];
      });
      await Promise.all(out.map((t) => t.data()));
      ms.push(performance.now() - t0);
      tf.dispose(out);
    }
    tf.dispose([X, XT]);
    ms.sort((a, b) => a - b);
    log(`per evaluation, tfjs-backend-wasm matMul (not used; f32, products only): ${ms[3].toFixed(1)} ms (min ${ms[0].toFixed(1)})`);
  } catch (e) {
    log(`per evaluation, tfjs-backend-wasm matMul: unavailable here (${(e as Error).message})`);
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
    ctx.log(
      `dvme (auto = mixed): ${mixed.ms.toFixed(0)} ms (min ${mixed.minMs.toFixed(0)}, CPU ${mixed.cpuMs.toFixed(0)}), ` +
        `${mixed.fit.nIter} iterations, converged ${mixed.fit.converged}`,
    );
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
      runsMs: number[];
      nIter: number;
      testLogLoss: number;
      testAccuracy: number;
      evalMs: number | null;
    };
    ctx.log(`reference: ${Object.entries(out.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    ctx.log(
      `scikit-learn: ${out.ms.toFixed(0)} ms (min ${Math.min(...out.runsMs).toFixed(0)}), ${out.nIter} iterations, ` +
        `test accuracy ${out.testAccuracy.toFixed(4)}`,
    );
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
