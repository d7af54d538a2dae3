import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
  UndefinedMetricError,
} from '../../../src/errors/index.js';
import { bootstrapCiAsync } from '../../../src/metrics/bootstrap-async.js';
import { bootstrapCi } from '../../../src/metrics/bootstrap.js';
import { cohenKappaScore, rocAucScore } from '../../../src/metrics/index.js';
import { quantileSorted } from '../../../src/metrics/quantile.js';
import { Xoshiro128 } from '../../../src/random/xoshiro.js';

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/delong-reference.json'), 'utf8'),
) as { numpyQuantile: { x: number[]; q: number[]; quantile: number[] }[] };

const mean = (_y: Float64Array, p: Float64Array) => p.reduce((s, v) => s + v, 0) / p.length;

/** Accuracy of 0/1 predictions; undefined (as sklearn would warn) when one class is missing. */
function balancedAccuracy(y: Float64Array, p: Float64Array): number {
  let tp = 0;
  let pos = 0;
  let tn = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 1) {
      pos++;
      if (p[i] === 1) tp++;
    } else if (p[i] === 0) tn++;
  }
  if (pos === 0 || pos === y.length) throw new UndefinedMetricError('one class only');
  return (tp / pos + tn / (y.length - pos)) / 2;
}

function noisyData(n: number, seed: number): { y: number[]; p: number[] } {
  const rng = new Xoshiro128(seed);
  const y = Array.from({ length: n }, () => (rng.nextUint32() / 2 ** 32 < 0.3 ? 1 : 0));
  const p = y.map((v) => v + rng.nextUint32() / 2 ** 32);
  return { y, p };
}

describe('Xoshiro128', () => {
  it('reproduces the reference C xoshiro128** seeded by SplitMix64', () => {
    // First outputs of Blackman & Vigna's C code, state = two SplitMix64 outputs of the seed.
    const expected: Record<number, number[]> = {
      0: [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774],
      42: [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222],
      [-1]: [477689756, 2493998634, 555695776, 607808419, 61340979, 301466976],
    };
    for (const [seed, values] of Object.entries(expected)) {
      const rng = new Xoshiro128(Number(seed));
      expect(values.map(() => rng.nextUint32())).toEqual(values);
    }
  });

  it('draws unbiased integers in range', () => {
    const rng = new Xoshiro128(1);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.nextInt(7)]++;
    // Chi-square with 6 degrees of freedom; 22.46 is its 0.999 quantile.
    const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(22.46);
    expect(new Xoshiro128(3).nextInt(1)).toBe(0);
    expect(() => new Xoshiro128(1.5)).toThrow(InvalidArgumentError);
  });
});

describe('quantileSorted', () => {
  it("matches numpy.quantile's default 'linear' method bit for bit", () => {
    for (const { x, q, quantile } of fixture.numpyQuantile) {
      const sorted = Float64Array.from(x).sort();
      expect(q.map((v) => quantileSorted(sorted, v))).toEqual(quantile);
    }
  });
});

describe('bootstrapCi', () => {
  const { y, p } = noisyData(300, 5);

  it('is deterministic under a seed, and seeds differ', () => {
    const a = bootstrapCi(mean, y, p, { seed: 11, nResamples: 200 });
    const b = bootstrapCi(mean, y, p, { seed: 11, nResamples: 200 });
    const c = bootstrapCi(mean, y, p, { seed: 12, nResamples: 200 });
    expect(a).toEqual(b);
    expect(a.samples).not.toEqual(c.samples);
    expect(a.lower).not.toBe(c.lower);
    expect(bootstrapCi(mean, y, p, { nResamples: 50 })).toEqual(bootstrapCi(mean, y, p, { nResamples: 50, seed: 0 }));
  });

  it('takes the interval as numpy quantiles of the samples, around the estimate', () => {
    const r = bootstrapCi(mean, y, p, { seed: 3, nResamples: 1000, alpha: 0.1 });
    const sorted = r.samples.slice().sort();
    expect(r.lower).toBe(quantileSorted(sorted, 0.05));
    expect(r.upper).toBe(quantileSorted(sorted, 0.95));
    expect(r.estimate).toBe(mean(Float64Array.from(y), Float64Array.from(p)));
    expect(r.lower).toBeLessThan(r.estimate);
    expect(r.upper).toBeGreaterThan(r.estimate);
    expect(r).toMatchObject({ alpha: 0.1, nResamples: 1000, nSkipped: 0 });
    expect(r.samples.length).toBe(1000);
    // The percentile interval of a mean is about estimate +- 1.645 sd / sqrt(n).
    const sd = Math.sqrt(p.reduce((s, v) => s + (v - r.estimate) ** 2, 0) / (p.length - 1));
    const width = (2 * 1.6448536269514722 * sd) / Math.sqrt(p.length);
    expect(r.upper - r.lower).toBeGreaterThan(0.8 * width);
    expect(r.upper - r.lower).toBeLessThan(1.2 * width);
  });

  it('stratified resampling keeps every class count, and rows stay with their class', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }),
        fc.integer(),
        (labels, seed) => {
          const counts = (v: ArrayLike<number>) => {
            const c = [0, 0, 0, 0];
            for (let i = 0; i < v.length; i++) c[v[i]]++;
            return c;
          };
          const want = counts(labels);
          const seen: number[][] = [];
          const pred = labels.map((l) => l * 10 + 0.5);
          bootstrapCi(
            (yT, yP) => {
              seen.push(counts(yT));
              yP.forEach((v, i) => expect(Math.floor(v / 10)).toBe(yT[i]));
              return 0;
            },
            labels,
            pred,
            { seed, nResamples: 20, stratified: true },
          );
          expect(seen.length).toBe(21);
          for (const c of seen) expect(c).toEqual(want);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('plain resampling does change class counts', () => {
    const totals = new Set<number>();
    bootstrapCi((yT) => (totals.add(yT.reduce((s, v) => s + v, 0)), 0), y, p, { nResamples: 50 });
    expect(totals.size).toBeGreaterThan(5);
  });

  it('skips and counts resamples where the metric is undefined', () => {
    const yy = [1, 0, 0, 0, 0, 0];
    const pp = [1, 0, 0, 1, 0, 0];
    const r = bootstrapCi(balancedAccuracy, yy, pp, { nResamples: 400, seed: 2 });
    // P(no positive drawn) = (5/6)^6 ~ 0.33.
    expect(r.nSkipped).toBeGreaterThan(80);
    expect(r.nSkipped).toBeLessThan(200);
    expect(r.samples.length + r.nSkipped).toBe(400);
    expect(bootstrapCi(balancedAccuracy, yy, pp, { nResamples: 400, stratified: true }).nSkipped).toBe(0);
    const nan = bootstrapCi((yT) => (yT.includes(1) ? 1 : Number.NaN), yy, pp, { nResamples: 400, seed: 2 });
    expect(nan.nSkipped).toBe(r.nSkipped);
  });

  it('throws when every resample is undefined, and lets other errors through', () => {
    const never = (_y: Float64Array, _p: Float64Array): number => {
      throw new UndefinedMetricError('never defined');
    };
    // Undefined on the full data: that error is the caller's to see.
    expect(() => bootstrapCi(never, [0, 1], [0, 1])).toThrow(/never defined/);
    let calls = 0;
    const flaky = (_y: Float64Array, _p: Float64Array) => {
      if (++calls > 1) throw new UndefinedMetricError('undefined on resamples');
      return 1;
    };
    expect(() => bootstrapCi(flaky, [0, 1], [0, 1], { nResamples: 10 })).toThrow(/all 10 resamples/);
    const boom = (_y: Float64Array, _p: Float64Array) => {
      if (++calls > 20) throw new RangeError('boom');
      return 0;
    };
    expect(() => bootstrapCi(boom, [0, 1], [0, 1])).toThrow(RangeError);
  });

  it('resamples rows of probabilities', () => {
    const rows = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]];
    const labels = [0, 1, 1, 1];
    const accuracy = (yT: Float64Array, yP: ArrayLike<number>[]) =>
      yP.reduce((s, r, i) => s + (Number(r[1] > r[0]) === yT[i] ? 1 : 0), 0) / yP.length;
    const r = bootstrapCi(accuracy, labels, rows, { nResamples: 300, seed: 4 });
    expect(r.estimate).toBe(0.75);
    expect(r.lower).toBeGreaterThanOrEqual(0);
    expect(r.upper).toBe(1);
    bootstrapCi(
      (_yT, yP) => {
        for (const row of yP) expect(rows).toContain(row);
        return 0;
      },
      labels,
      rows,
      { nResamples: 5 },
    );
    expect(() => bootstrapCi(accuracy, labels, rows.slice(1))).toThrow(ShapeError);
  });

  it('takes the library metrics as they are, rows of probabilities included', () => {
    const auc = bootstrapCi(rocAucScore, y, p, { nResamples: 200, stratified: true });
    expect(auc.estimate).toBe(rocAucScore(y, p));
    expect(auc.lower).toBeLessThanOrEqual(auc.estimate);
    const rows = p.map((v) => [1 - v / 2, v / 2]);
    expect(bootstrapCi(rocAucScore, y, rows, { nResamples: 50 }).estimate).toBe(auc.estimate);
    const grades = p.map((v) => Math.min(4, Math.floor(v * 2.5)));
    const kappa = bootstrapCi((a, b) => cohenKappaScore(a, b, { weights: 'quadratic' }), y, grades, {
      nResamples: 100,
    });
    expect(kappa.estimate).toBe(cohenKappaScore(y, grades, { weights: 'quadratic' }));
  });

  it('rejects bad arguments with typed errors', () => {
    for (const nResamples of [0, -5, 1.5, Number.NaN]) {
      expect(() => bootstrapCi(mean, y, p, { nResamples })).toThrow(InvalidArgumentError);
    }
    for (const alpha of [0, 1, 2, Number.NaN]) {
      expect(() => bootstrapCi(mean, y, p, { alpha })).toThrow(/alpha must be/);
    }
    expect(() => bootstrapCi(mean, y, p, { seed: 0.5 })).toThrow(/seed must be a safe integer/);
    expect(() => bootstrapCi(mean, y, p.slice(1))).toThrow(ShapeError);
    expect(() => bootstrapCi(mean, [0, Number.NaN], [1, 2])).toThrow(NonFiniteError);
    expect(() => bootstrapCi(mean, [], [])).toThrow(InvalidArgumentError);
    expect(() => bootstrapCi('auc' as never, y, p)).toThrow(/metric must be a function/);
    expect(() => bootstrapCi((() => 'x') as never, y, p)).toThrow(/metric must return a number/);
  });
});

describe('bootstrapCi results stay bit-identical', () => {
  // Recorded from bootstrapCi before bootstrapCiAsync shared its loop (dvme 0.1.0).
  const rng = new Xoshiro128(42);
  const y = Array.from({ length: 300 }, () => (rng.nextUint32() / 2 ** 32 < 0.3 ? 1 : 0));
  const p = y.map((v) => v * 0.5 + rng.nextUint32() / 2 ** 32);
  const rows = p.map((v) => [1 - v / 2, v / 2]);
  const rowAuc = (yy: Float64Array, pp: ArrayLike<number>[]) => rocAucScore(yy, pp.map((q) => q[1]!));
  const digest = (a: Float64Array) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
  const cases = [
    ['plain', () => bootstrapCi(rocAucScore, y, p, { seed: 3, nResamples: 500 }), [0.7544959490740741, 0.8570697851309251, '6ec2193eb0f2380b']],
    ['stratified', () => bootstrapCi(rocAucScore, y, p, { seed: 3, nResamples: 500, stratified: true }), [0.7589958960328317, 0.8551874145006839, 'ba764d2046b8c694']],
    ['rows', () => bootstrapCi(rowAuc, y, rows, { seed: 9, nResamples: 200 }), [0.7603162281790353, 0.868006755707122, 'cdfc7adfaf772866']],
  ] as const;

  it.each(cases)('%s: the same interval and samples as recorded', (_name, run, [lower, upper, hash]) => {
    const r = run();
    expect([r.lower, r.upper, digest(r.samples)]).toEqual([lower, upper, hash]);
  });

  it('bootstrapCiAsync gives exactly what bootstrapCi gives, for every option', async () => {
    expect(await bootstrapCiAsync(rocAucScore, y, p, { seed: 3, nResamples: 500 })).toEqual(cases[0][1]());
    expect(await bootstrapCiAsync(rocAucScore, y, p, { seed: 3, nResamples: 500, stratified: true })).toEqual(cases[1][1]());
    expect(await bootstrapCiAsync(rowAuc, y, rows, { seed: 9, nResamples: 200 })).toEqual(cases[2][1]());
    const skipping = { seed: 4, nResamples: 300, alpha: 0.1 };
    const few = { y: y.slice(0, 12), p: p.slice(0, 12) };
    expect(await bootstrapCiAsync(rocAucScore, few.y, few.p, skipping)).toEqual(bootstrapCi(rocAucScore, few.y, few.p, skipping));
  });
});

describe('bootstrapCiAsync', () => {
  const { y, p } = noisyData(200, 8);
  /** A metric that takes about `ms` of CPU, like AUC on a large set. */
  const slow = (ms: number) => (yy: Float64Array, pp: Float64Array) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
    return mean(yy, pp);
  };

  it('stops within ~100 ms of an abort, between resamples, with an AbortError saying how far it got', async () => {
    const controller = new AbortController();
    let fired = false;
    // Measured from when the abort was due, so a timer held up by the loop counts too.
    const due = performance.now() + 150;
    setTimeout(() => {
      fired = true;
      controller.abort(new Error('user cancelled'));
    }, 150);
    const error = await bootstrapCiAsync(slow(5), y, p, { nResamples: 100_000, signal: controller.signal }).catch((e: unknown) => e);
    const lag = performance.now() - due;
    expect(AbortError.is(error)).toBe(true);
    expect((error as AbortError).name).toBe('AbortError');
    expect((error as AbortError).cause).toEqual(new Error('user cancelled'));
    expect((error as Error).message).toMatch(/^bootstrapCiAsync was aborted after \d+ of 100000 resamples\.$/);
    expect(fired).toBe(true);
    expect(lag).toBeLessThan(100);
  });

  it('rejects at once for a signal already aborted, and checks its arguments as bootstrapCi does', async () => {
    await expect(bootstrapCiAsync(mean, y, p, { signal: AbortSignal.abort() })).rejects.toThrow(/aborted after 0 of 2000 resamples/);
    await expect(bootstrapCiAsync(mean, y, p, { nResamples: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(bootstrapCiAsync(mean, y, p, { onProgress: 3 as never })).rejects.toThrow(/onProgress must be a function/);
    await expect(bootstrapCiAsync(mean, y, p, { signal: {} as never })).rejects.toThrow(/signal must be an AbortSignal/);
  });

  it('lets the event loop run while it works and reports progress up to nResamples', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const progress: [number, number][] = [];
    const r = await bootstrapCiAsync(slow(1), y, p, { nResamples: 200, seed: 2, onProgress: (done, total) => progress.push([done, total]) });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toEqual([200, 200]);
    for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThan(progress[i - 1]![0]);
    expect(r).toEqual(bootstrapCi(mean, y, p, { nResamples: 200, seed: 2 }));
  });
});
