import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, NonFiniteError, ShapeError } from '../../../../src/errors/index.js';
import { fitLogisticRegression, predictLogisticProba } from '../../../../src/probe/lbfgs/index.js';
import { fixture } from './fixture.js';

const { nTrain: n, d, xTrain: x } = fixture;
const yOf = (task: 'binary' | 'multiclass') => fixture.labels({ task } as never).yTrain;
const y2 = yOf('binary');
const y4 = yOf('multiclass');

describe('fitLogisticRegression', () => {
  it('runs the documented example', async () => {
    const xs = new Float32Array([0, 0, 1, 1, 2, 2, 3, 3]);
    const fit = await fitLogisticRegression(xs, 4, 2, new Int32Array([0, 0, 1, 1]), 2, { C: 1 });
    expect([fit.coef.length, fit.intercept.length, fit.converged]).toEqual([2, 1, true]);
    const proba = predictLogisticProba(xs, 4, 2, fit, 2);
    expect(proba.length).toBe(8);
    expect(proba[1]).toBeLessThan(0.5);
    expect(proba[7]).toBeGreaterThan(0.5);
  });

  it('weights: weight 2 equals a duplicated row; scaling all weights by a equals C times a', async () => {
    const m = 60;
    const xs = x.subarray(0, m * d);
    const ys = y4.subarray(0, m);
    const w = Float64Array.from({ length: m }, (_, i) => (i % 3 === 0 ? 2 : 1));
    const rows: number[] = [];
    for (let i = 0; i < m; i++) for (let r = 0; r < w[i]; r++) rows.push(i);
    const xd = new Float32Array(rows.length * d);
    rows.forEach((i, r) => xd.set(xs.subarray(i * d, i * d + d), r * d));
    const opts = { tol: 1e-10, maxIter: 10_000 };
    const weighted = await fitLogisticRegression(xs, m, d, ys, 4, { ...opts, sampleWeight: w });
    const duplicated = await fitLogisticRegression(xd, rows.length, d, Int32Array.from(rows, (i) => ys[i]), 4, opts);
    const scaled = await fitLogisticRegression(xs, m, d, ys, 4, { ...opts, sampleWeight: w.map((v) => v * 4), C: 0.25 });
    for (let t = 0; t < weighted.coef.length; t++) {
      expect(duplicated.coef[t]).toBeCloseTo(weighted.coef[t], 4);
      expect(scaled.coef[t]).toBeCloseTo(weighted.coef[t], 4);
    }
    // Same objective: C * sum(a s_i loss_i) with C / a.
    expect(scaled.loss).toBeCloseTo(weighted.loss, 6);
  });

  it('without an intercept, returns zeros for it; a small maxIter stops unconverged', async () => {
    const fit = await fitLogisticRegression(x, n, d, y4, 4, { fitIntercept: false });
    expect(Array.from(fit.intercept)).toEqual([0, 0, 0, 0]);
    const capped = await fitLogisticRegression(x, n, d, y4, 4, { maxIter: 3 });
    expect(capped).toMatchObject({ nIter: 3, converged: false });
    expect(capped.loss).toBeGreaterThan(fit.loss * 0.9);
  });

  it('mixed and f64 precision agree closely on the same problem', async () => {
    const a = await fitLogisticRegression(x, n, d, y2, 2, { precision: 'mixed', tol: 1e-6 });
    const b = await fitLogisticRegression(x, n, d, y2, 2, { precision: 'f64', tol: 1e-6 });
    expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(1e-8);
    for (let t = 0; t < d; t++) expect(a.coef[t]).toBeCloseTo(b.coef[t], 3);
  });

  it('throws typed errors for bad shapes, non-finite values, labels and options', async () => {
    const fit = (o: Partial<{ x: Float32Array; n: number; d: number; y: Int32Array; k: number; opts: object }>) =>
      fitLogisticRegression(o.x ?? x, o.n ?? n, o.d ?? d, o.y ?? y2, o.k ?? 2, o.opts ?? {});
    const nan = Float32Array.from(x);
    nan[17] = NaN;
    await expect(fit({ d: d + 1 })).rejects.toSatisfy((e) => ShapeError.is(e));
    await expect(fit({ x: [1, 2] as unknown as Float32Array, n: 1, d: 2 })).rejects.toThrow(/received Array of length 2/);
    await expect(fit({ y: y2.subarray(1) })).rejects.toSatisfy((e) => ShapeError.is(e));
    await expect(fit({ x: nan })).rejects.toSatisfy((e) => NonFiniteError.is(e));
    await expect(fit({ x: nan })).rejects.toThrow(/x\[0, 17\] is NaN/);
    await expect(fit({ n: 0 })).rejects.toSatisfy((e) => InvalidArgumentError.is(e));
    await expect(fit({ k: 1 })).rejects.toThrow(/numClasses must be an integer >= 2/);
    await expect(fit({ y: Int32Array.from(y2, (v, i) => (i === 5 ? 2 : v)) })).rejects.toThrow(/y\[5\] is 2/);
    await expect(fit({ y: Int32Array.from(y2, (v, i) => (i === 5 ? -1 : v)) })).rejects.toSatisfy((e) => InvalidArgumentError.is(e));
    await expect(fit({ y: new Int32Array(n) })).rejects.toThrow(/class 1 has no rows/);
    for (const C of [0, -1, NaN, Infinity]) await expect(fit({ opts: { C } })).rejects.toThrow(/C must be finite and > 0/);
    await expect(fit({ opts: { tol: -1 } })).rejects.toThrow(/tol/);
    await expect(fit({ opts: { maxIter: 0 } })).rejects.toThrow(/maxIter/);
    await expect(fit({ opts: { maxIter: 2.5 } })).rejects.toSatisfy((e) => InvalidArgumentError.is(e));
    await expect(fit({ opts: { precision: 'f16' } })).rejects.toThrow(/precision/);
    await expect(fit({ opts: { sampleWeight: new Float64Array(n - 1) } })).rejects.toSatisfy((e) => ShapeError.is(e));
    const bad = new Float64Array(n).fill(1);
    bad[3] = -1;
    await expect(fit({ opts: { sampleWeight: bad } })).rejects.toThrow(/sampleWeight\[3\] is -1/);
    bad[3] = NaN;
    await expect(fit({ opts: { sampleWeight: bad } })).rejects.toSatisfy((e) => NonFiniteError.is(e));
  });
});

describe('predictLogisticProba', () => {
  it('gives [1 - p, p] for two classes and a softmax otherwise; rows sum to 1', () => {
    const binary = predictLogisticProba(new Float32Array([0.5, -800]), 2, 1, { coef: new Float64Array([2]), intercept: new Float64Array([-1]) }, 2);
    expect(Array.from(binary)).toEqual([0.5, 0.5, 1, 0]);
    const coef = Float64Array.from({ length: 3 * d }, (_, i) => Math.sin(i));
    const p = predictLogisticProba(x, n, d, { coef, intercept: new Float64Array([0.1, 0, -0.1]) }, 3);
    for (let i = 0; i < n; i++) expect(p[3 * i] + p[3 * i + 1] + p[3 * i + 2]).toBeCloseTo(1, 14);
    // Softmax of huge scores does not overflow.
    const big = predictLogisticProba(new Float32Array([1000]), 1, 1, { coef: new Float64Array([1, 2, 3]), intercept: new Float64Array(3) }, 3);
    expect(Array.from(big)).toEqual([0, 0, 1]);
  });

  it('checks shapes and finiteness', () => {
    const fit = { coef: new Float64Array(d), intercept: new Float64Array(1) };
    expect(() => predictLogisticProba(x, n, d, fit, 3)).toThrow(ShapeError);
    expect(() => predictLogisticProba(x, n, d + 1, fit, 2)).toThrow(ShapeError);
    expect(() => predictLogisticProba(new Float32Array([NaN]), 1, 1, { coef: new Float64Array(1), intercept: new Float64Array(1) }, 2)).toThrow(NonFiniteError);
  });
});
