import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { ConcatProbe } from '../../../src/index.js';
import { Probe, type TrainingWarning } from '../../../src/index.js';
import { sourcesData } from '../fusion/synthetic.js';
import { blobs } from './synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const quick = { minEpochs: 2, maxEpochs: 2 } as const;

describe('class labels must be integers, as the metrics require (issue #14)', () => {
  const { x } = blobs(40, 3, 2, 1);
  const expectLabelError = async (f: () => unknown, pattern: RegExp) => {
    const error = await Promise.resolve().then(f).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).toMatch(/Scores and probabilities are not labels/);
  };

  it('binary: 0.2 / 0.7 labels are rejected, not taken as two classes', async () => {
    const y = x.map((_, i) => (i % 2 ? 0.7 : 0.2));
    await expectLabelError(() => new Probe({ task: 'binary', ...quick }).fit(x, y), /^y must hold integer class labels; element 0 is 0\.2\./);
    await expectLabelError(() => new Probe({ task: 'binary', solver: 'lbfgs' }).fit(x, y), /element 0 is 0\.2/);
  });

  it('multiclass: float labels are rejected, not made one class each', async () => {
    const y = x.map((_, i) => [0, 1, 2.5][i % 3]);
    await expectLabelError(() => new Probe({ task: 'multiclass', ...quick }).fit(x, y), /^y must hold integer class labels; element 2 is 2\.5\./);
  });

  it('the classes option, validation labels and evaluate labels too', async () => {
    const y = x.map((_, i) => i % 2);
    await expectLabelError(() => new Probe({ task: 'multiclass', classes: [0, 0.5, 1], ...quick }).fit(x, y), /^classes must hold integer class labels; element 1 is 0\.5\./);
    await expectLabelError(
      () => new Probe({ task: 'binary', ...quick }).fit(x, y, { validation: { x, y: y.map((v) => v + 0.1) } }),
      /^validation\.y must hold integer class labels; element 0 is 0\.1\./,
    );
    const probe = await new Probe({ task: 'binary', solver: 'lbfgs' }).fit(x, y);
    await expectLabelError(() => probe.evaluate(x, y.map((v) => v / 2)), /^y must hold integer class labels; element 1 is 0\.5\./);
    probe.dispose();
  });

  it('fusion estimators reject them the same way; integer-valued floats and -0 are fine', async () => {
    const { x: xs, y } = sourcesData(30, 2, 1);
    await expectLabelError(
      () => new ConcatProbe({ sources: { a: 6, b: 4, c: 3 }, task: 'binary', ...quick }).fit(xs, y.map((c) => c * 0.5)),
      /^y must hold integer class labels; element 1 is 0\.5\./,
    );
    const probe = await new Probe({ task: 'binary', solver: 'lbfgs' }).fit(x, x.map((_, i) => (i % 2 ? 1.0 : -0)));
    expect(probe.classes).toEqual([0, 1]);
    expect(Object.is(probe.classes?.[0], 0)).toBe(true);
    probe.dispose();
  });
});

describe("the 'paper' default on raw embeddings (issue #14)", () => {
  // Pooled-CNN-like features: a common offset, a small spread around it.
  const raw = blobs(200, 16, 3, 4, { separation: 1, scale: 0.02, offset: 0.1 });

  it('standardises by default; the paper\'s raw features are standardize: false', () => {
    expect(new Probe({ task: 'multiclass' }).hyperparameters.standardize).toBe(true);
    expect(new Probe({ task: 'multiclass', standardize: false }).hyperparameters.standardize).toBe(false);
  });

  it('raw: the fit collapses to one class; fit reports it (onWarning, provenance.warnings, toJSON)', async () => {
    const warnings: TrainingWarning[] = [];
    const probe = await new Probe({ task: 'multiclass', standardize: false, validationSplit: 0.2, seed: 1 }).fit(raw.x, raw.y, {
      onWarning: (w) => warnings.push(w),
    });
    expect(new Set(probe.predict(raw.x)).size).toBe(1);
    expect(warnings.map((w) => w.code)).toEqual(['constant-predictions', 'no-improvement']);
    expect(warnings[0].message).toMatch(/^The fitted Probe predicts class \d for all 161 training rows and all 39 validation rows: a degenerate fit\. Train on standardised embeddings \(standardize: true\)/);
    expect(warnings[1].message).toMatch(/never improved after epoch 1/);
    expect(probe.provenance?.training).toMatchObject({ bestEpoch: 1 });
    expect(probe.provenance?.warnings).toEqual(warnings);
    const copy = Probe.fromJSON(JSON.parse(JSON.stringify(probe)));
    expect(copy.provenance?.warnings).toEqual(warnings);
    probe.dispose();
    copy.dispose();
  });

  it('the default (standardised) fit of the same rows learns every class, without warnings', async () => {
    const warnings: TrainingWarning[] = [];
    const probe = await new Probe({ task: 'multiclass', validationSplit: 0.2, seed: 1 }).fit(raw.x, raw.y, { onWarning: (w) => warnings.push(w) });
    expect(new Set(probe.predict(raw.x)).size).toBe(3);
    expect(probe.evaluate(raw.x, raw.y).kappa).toBeGreaterThan(0.8);
    expect(warnings).toEqual([]);
    expect(probe.provenance?.warnings).toEqual([]);
    probe.dispose();
  });

  it('fusion estimators report a degenerate fit the same way', async () => {
    const { x, y } = sourcesData(90, 3, 2);
    const shifted = { a: x.a.map((r) => r.map((v) => 5 + 1e-3 * v)), b: x.b.map((r) => r.map((v) => 5 + 1e-3 * v)), c: x.c.map((r) => r.map((v) => 5 + 1e-3 * v)) };
    const warnings: TrainingWarning[] = [];
    const est = await new ConcatProbe({ sources: { a: 6, b: 4, c: 3 }, task: 'multiclass', ...quick }).fit(shifted, y, { onWarning: (w) => warnings.push(w) });
    expect(warnings.map((w) => w.code)).toContain('constant-predictions');
    expect(warnings[0].message).toMatch(/^The fitted ConcatProbe predicts class \d for all 90 training rows/);
    expect(est.provenance?.warnings).toEqual(warnings);
    est.dispose();
  });
});

describe('a multiclass probe of two classes', () => {
  const { x, y } = blobs(120, 4, 2, 7);

  it("'paper' and 'lbfgs' give two softmax outputs and learn both classes", async () => {
    for (const solver of ['paper', 'lbfgs'] as const) {
      const probe = await new Probe({ task: 'multiclass', solver, ...(solver === 'paper' ? { learningRate: 0.05, minEpochs: 5, maxEpochs: 5 } : {}) }).fit(x, y);
      const p = probe.predictProba(x);
      expect(p[0]).toHaveLength(2);
      p.forEach((row) => expect(row[0] + row[1]).toBeCloseTo(1, 5));
      const e = probe.evaluate(x, y);
      expect(e.task).toBe('multiclass');
      expect(e.accuracy).toBeGreaterThan(0.9);
      probe.dispose();
    }
  });

  it("'lbfgs': the binary model's probabilities, as [1 - p, p]", async () => {
    const multi = await new Probe({ task: 'multiclass', solver: 'lbfgs' }).fit(x, y);
    const binary = await new Probe({ task: 'binary', solver: 'lbfgs' }).fit(x, y);
    const pb = binary.predictProba(x);
    multi.predictProba(x).forEach((row, i) => {
      expect(row[1]).toBeCloseTo(pb[i], 6);
      expect(row[0]).toBeCloseTo(1 - pb[i], 6);
    });
    expect(multi.predict(x)).toEqual(binary.predict(x));
    multi.dispose();
    binary.dispose();
  });
});
