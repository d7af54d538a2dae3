import { describe, expect, it } from 'vitest';
import * as metrics from '../../../src/metrics/index.js';
import {
  accuracyScore,
  cohenKappaScore,
  confusionMatrix,
  DvmeError,
  rocAucScore,
  rocCurve,
  type RocAucOptions,
} from '../../../src/metrics/index.js';
import {
  decode,
  expectAllClose,
  expectClose,
  fixture,
  inputs,
  sklearnFirstThresholdIsInf,
} from './sklearn-fixture.js';

/** Fixture inputs are JSON of the right shape; the metrics validate them at run time. */
type Any = never;

describe(`scikit-learn ${fixture.sklearn_version} parity`, () => {
  it('the fixture holds every kind of case', () => {
    expect(fixture.roc_auc.length).toBeGreaterThan(80);
    expect(fixture.roc_curve.length).toBeGreaterThan(20);
    expect(fixture.kappa.length).toBeGreaterThan(20);
    expect(fixture.confusion_matrix.length).toBeGreaterThan(15);
    expect(fixture.accuracy.length).toBeGreaterThan(5);
    expect(fixture.errors.length).toBeGreaterThan(30);
  });

  describe('rocAucScore', () => {
    it.each(fixture.roc_auc.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const { data, options } = inputs(c);
      const actual = rocAucScore(data.yTrue as Any, data.yScore as Any, options as RocAucOptions);
      const expected = decode<number | number[]>(c.expected!);
      if (Array.isArray(expected)) {
        expect(actual).toBeInstanceOf(Float64Array);
        expectAllClose(actual as Float64Array, expected, c.name);
      } else expectClose(actual as number, expected, c.name);
    });
  });

  describe('rocCurve', () => {
    it.each(fixture.roc_curve.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const { data, options } = inputs(c);
      const { fpr, tpr, thresholds } = rocCurve(data.yTrue as Any, data.yScore as Any, options as Any);
      expectAllClose(fpr, decode<number[]>(c.fpr!), 'fpr');
      expectAllClose(tpr, decode<number[]>(c.tpr!), 'tpr');
      const expected = decode<number[]>(c.thresholds!);
      expect(thresholds.length).toBe(expected.length);
      // dvme follows scikit-learn >= 1.3 (Infinity); 1.2 wrote max(yScore) + 1 there.
      expect(thresholds[0]).toBe(Infinity);
      if (sklearnFirstThresholdIsInf) expect(expected[0]).toBe(Infinity);
      else expect(expected[0]).toBe(expected[1] + 1);
      expectAllClose(thresholds.subarray(1), expected.slice(1), 'thresholds');
    });
  });

  describe('cohenKappaScore', () => {
    it.each(fixture.kappa.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const { data, options } = inputs(c);
      expectClose(cohenKappaScore(data.y1 as Any, data.y2 as Any, options as Any), c.expected as number, c.name);
    });
  });

  describe('confusionMatrix', () => {
    it.each(fixture.confusion_matrix.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const { data, options } = inputs(c);
      const cm = confusionMatrix(data.yTrue as Any, data.yPred as Any, options as Any);
      expectAllClose(cm, decode<number[][]>(c.expected!), c.name);
      expect(Array.isArray(cm) && cm.every((row) => Array.isArray(row))).toBe(true);
    });
  });

  describe('accuracyScore', () => {
    it.each(fixture.accuracy.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const { data, options } = inputs(c);
      expectClose(accuracyScore(data.yTrue as Any, data.yPred as Any, options as Any), c.expected as number, c.name);
    });
  });

  describe('inputs scikit-learn rejects (or returns NaN for) throw typed errors', () => {
    it.each(fixture.errors.map((c) => [`${c.metric}: ${c.name}`, c] as const))('%s', (_, c) => {
      const fn = metrics[c.metric] as (...args: unknown[]) => unknown;
      const ErrorClass = metrics[c.expect as keyof typeof metrics] as typeof DvmeError;
      expect(typeof ErrorClass).toBe('function');
      const args = decode<unknown[]>(c.args);
      let thrown: unknown;
      try {
        fn(...args, decode(c.options));
      } catch (e) {
        thrown = e;
      }
      expect(thrown, `sklearn: ${JSON.stringify(c.sklearn)}`).toBeInstanceOf(ErrorClass);
      expect(ErrorClass.is(thrown)).toBe(true);
      // Messages say what was received and how to fix it: never a bare one-liner.
      expect((thrown as Error).message.length).toBeGreaterThan(40);
      if ('raises' in c.sklearn) expect(['ValueError', 'NotImplementedError', 'ZeroDivisionError']).toContain(c.sklearn.raises);
    });
  });
});
