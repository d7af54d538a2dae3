import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** A JSON value of the fixture: non-finite floats are the strings "inf", "-inf", "nan". */
export type Json = number | string | boolean | null | Json[] | { [key: string]: Json };

export interface MetricCase {
  name: string;
  /** Key into `data`. */
  data: string;
  /** dvme option names; `sampleWeight: "data"` means the data set's own `sampleWeight`. */
  options: Record<string, Json>;
  expected?: Json;
  fpr?: Json[];
  tpr?: Json[];
  thresholds?: Json[];
}

export interface ErrorCase {
  metric: 'rocAucScore' | 'rocCurve' | 'cohenKappaScore' | 'confusionMatrix' | 'accuracyScore';
  name: string;
  args: Json[];
  options: Record<string, Json>;
  expect: string;
  sklearn: { raises: string; message: string } | { returns: Json; warnings: string[] };
}

/** test/fixtures/metrics-sklearn.json, written by scripts/fixtures/metrics_reference.py. */
export interface Fixture {
  sklearn_version: string;
  data: Record<string, Record<string, Json>>;
  roc_auc: MetricCase[];
  roc_curve: MetricCase[];
  kappa: MetricCase[];
  confusion_matrix: MetricCase[];
  accuracy: MetricCase[];
  errors: ErrorCase[];
}

export const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/metrics-sklearn.json', import.meta.url), 'utf8'),
) as Fixture;

/** Replaces the fixture's "inf" / "-inf" / "nan" strings by numbers, recursively. */
export function decode<T = unknown>(v: Json): T {
  if (v === 'nan') return Number.NaN as T;
  if (v === 'inf') return Infinity as T;
  if (v === '-inf') return -Infinity as T;
  if (Array.isArray(v)) return v.map((x) => decode(x)) as T;
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)])) as T;
  }
  return v as T;
}

/** The inputs of a case and its options, with `sampleWeight: "data"` resolved. */
export function inputs(c: MetricCase): { data: Record<string, unknown>; options: Record<string, unknown> } {
  const data = decode<Record<string, unknown>>(fixture.data[c.data]);
  const options = decode<Record<string, unknown>>(c.options);
  if (options.sampleWeight === 'data') options.sampleWeight = data.sampleWeight;
  return { data, options };
}

/** scikit-learn 1.3 replaced roc_curve's first threshold `max(score) + 1` by `inf`. */
export const sklearnFirstThresholdIsInf = (() => {
  const [major, minor] = fixture.sklearn_version.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 3);
})();

/** |a - b| <= 1e-12 |b|, or <= 1e-15 where b is 0 up to rounding; NaN matches NaN. */
export function expectClose(actual: number, expected: number, what = ''): void {
  if (Number.isNaN(expected)) {
    expect(actual, what).toBeNaN();
    return;
  }
  if (!Number.isFinite(expected)) {
    expect(actual, what).toBe(expected);
    return;
  }
  const tol = Math.max(1e-12 * Math.abs(expected), 1e-15);
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`${what}: expected ${expected}, received ${actual} (|diff| ${Math.abs(actual - expected)} > ${tol})`);
  }
}

/** Element-wise {@link expectClose} of equal-length arrays (or nested arrays). */
export function expectAllClose(actual: ArrayLike<unknown>, expected: ArrayLike<unknown>, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (typeof e === 'number') expectClose(a as number, e, `${what}[${i}]`);
    else expectAllClose(a as ArrayLike<unknown>, e as ArrayLike<unknown>, `${what}[${i}]`);
  }
}
