import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { LinearHeadTrainer, adamUpdate } from '../../../src/probe/linear-head-trainer.js';
import { fitPaper } from '../../../src/probe/paper-solver.js';
import { JsRowProducts, createRowProducts, type RowProducts } from '../../../src/probe/row-products.js';
import { Xoshiro128 } from '../../../src/random/xoshiro.js';
import type { ProbeTask, Targets } from '../../../src/training/labels.js';
import { resolvePaperHyperparameters } from '../../../src/training/paper-options.js';

// scripts/fixtures/paper_solver_reference.py: PyTorch (float32) trains nn.Linear with Adam on
// fixed batches; every batch loss and the weights after every epoch are recorded.
interface TorchCase {
  task: ProbeTask;
  n: number;
  d: number;
  k: number;
  batch: number;
  lrs: number[];
  x: number[];
  y: number[];
  weights: number[] | null;
  coef: number[];
  bias: number[];
  orders: number[][];
  losses: number[];
  epochs: { coef: number[]; bias: number[] }[];
}
const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/probe/paper-solver-torch.json'), 'utf8'),
) as { cases: TorchCase[] };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function targetsOf(c: TorchCase): Targets {
  if (c.task === 'multilabel') return { kind: 'indicator', data: Uint8Array.from(c.y), numLabels: c.k };
  return { kind: 'index', index: Int32Array.from(c.y), numClasses: Math.max(c.k, 2) };
}

/** Largest |a - b| over the largest |b|. */
function gap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

async function replay(c: TorchCase, products: RowProducts): Promise<void> {
  const init = { coef: Float32Array.from(c.coef), bias: Float32Array.from(c.bias) };
  const w = c.weights ? Float64Array.from(c.weights) : undefined;
  const trainer = new LinearHeadTrainer(c.task, products, init, targetsOf(c), w, c.d, c.k, c.batch, 0);
  let b = 0;
  c.orders.forEach((order, e) => {
    for (let s = 0; s < c.n; s += c.batch) {
      const loss = trainer.step(Int32Array.from(order.slice(s, s + c.batch)), c.lrs[e]);
      expect(Math.abs(loss - c.losses[b]) / c.losses[b]).toBeLessThan(1e-5);
      b++;
    }
    const { coef, bias } = trainer.current();
    expect(gap(coef, c.epochs[e].coef)).toBeLessThan(2e-5);
    expect(gap(bias, c.epochs[e].bias)).toBeLessThan(2e-5);
  });
}

describe('LinearHeadTrainer: one Adam step per batch as PyTorch takes it', () => {
  it.each(fixture.cases.map((c, i) => [`${c.task}${c.weights ? ', class weights' : ''} #${i}`, c] as const))(
    '%s: TypeScript products',
    async (_name, c) => {
      await replay(c, new JsRowProducts(Float32Array.from(c.x), undefined, c.d, c.k));
    },
  );

  it.each(fixture.cases.map((c, i) => [`${c.task}${c.weights ? ', class weights' : ''} #${i}`, c] as const))(
    '%s: WebAssembly SIMD products',
    async (_name, c) => {
      const products = await createRowProducts(Float32Array.from(c.x), undefined, c.d, c.k, c.batch);
      expect(products.name).toBe('wasm-simd');
      await replay(c, products);
    },
  );

  it('adamUpdate matches two steps computed by hand', () => {
    const p = Float32Array.of(1, -2);
    const [m, v] = [new Float32Array(2), new Float32Array(2)];
    adamUpdate(p, Float64Array.of(0.5, -1), m, v, 1, 0.1);
    adamUpdate(p, Float64Array.of(0.1, 0.3), m, v, 2, 0.01);
    // Step 1: m = 0.1 g, v = 0.001 g^2, so the step is lr * sign(g) (to eps): 0.9, -1.9.
    // Step 2 by hand for the first coordinate: m = 0.045 + 0.01, v = 0.000249750 + 0.00001.
    const m2 = 0.9 * 0.05 + 0.1 * 0.1;
    const v2 = 0.999 * 0.00025 + 0.001 * 0.01;
    const expected0 = 0.9 - (0.01 / (1 - 0.81)) * (m2 / (Math.sqrt(v2) / Math.sqrt(1 - 0.999 ** 2) + 1e-8));
    expect(p[0]).toBeCloseTo(expected0, 6);
  });
});

describe("fitPaper: the host engine against the tensor engine (same loop, tfjs ops)", () => {
  it.each(['binary', 'multiclass', 'multilabel'] as const)('%s: same epochs, weights within float32 rounding', async (task) => {
    const c = fixture.cases.find((f) => f.task === task) as TorchCase;
    const split = Math.floor(c.n * 0.75);
    const x = Float32Array.from(c.x);
    const t = targetsOf(c);
    const rows = (a: number, b: number) => ({ data: x.subarray(a * c.d, b * c.d), rows: b - a, cols: c.d });
    const part = (a: number, b: number): Targets =>
      t.kind === 'index'
        ? { ...t, index: t.index.subarray(a, b) }
        : { ...t, data: t.data.subarray(a * c.k, b * c.k) };
    const hp = { ...resolvePaperHyperparameters(task, false, {}), minEpochs: 4, maxEpochs: 8, batchSize: 16, learningRate: 0.01 };
    const before = tf.memory().numTensors;
    const run = (engine: 'host' | 'tensor') =>
      fitPaper(
        { task, x: rows(0, split), targets: part(0, split), outputs: c.k, weights: undefined,
          validation: { x: rows(split, c.n), targets: part(split, c.n) }, hp, rng: new Xoshiro128(3) },
        engine,
      );
    const host = await run('host');
    expect(tf.memory().numTensors).toBe(before);
    const tensor = await run('tensor');
    expect(host.report.epochs).toBe(tensor.report.epochs);
    expect(host.report.bestEpoch).toBe(tensor.report.bestEpoch);
    expect(gap(host.weights.coef, tensor.weights.coef)).toBeLessThan(1e-5);
    expect(gap(host.weights.intercept, tensor.weights.intercept)).toBeLessThan(1e-4);
    host.report.history.forEach((h, i) => expect(h.loss).toBeCloseTo(tensor.report.history[i].loss, 5));
  });
});
