import { fitLogisticRegression } from './lbfgs/index.js';
import type { DenseRows } from '../training/embedding-input.js';
import type { Targets } from '../training/labels.js';
import type { LinearWeights } from './linear-head.js';

/** @internal Hyperparameters of the exact solver (scikit-learn's LogisticRegression names). */
export interface LbfgsHyperparameters {
  readonly C: number;
  readonly tol: number;
  readonly maxIter: number;
}

/** @internal What the exact solver reports besides the weights (one entry per label for multilabel). */
export interface LbfgsReport {
  readonly nIter: number[];
  readonly converged: boolean[];
  readonly loss: number[];
}

/**
 * @internal Fits L2-regularised logistic regression with L-BFGS: one softmax model for
 * multiclass, one binary model for binary, and one binary model per label for multilabel
 * (scikit-learn's one-vs-rest), each with its own column of class weights. `outputs` is the
 * probe's logit count: a multiclass probe of two classes has two softmax outputs, and gets the
 * binary model's logit `z` as `[0, z]` (whose softmax is the sigmoid's `[1 - p, p]`).
 */
export async function fitLbfgs(
  x: DenseRows,
  t: Targets,
  outputs: number,
  weights: Float64Array | undefined,
  hp: LbfgsHyperparameters,
): Promise<{ weights: LinearWeights; report: LbfgsReport }> {
  const { rows: n, cols: d } = x;
  const options = (sampleWeight: Float64Array | undefined) => ({
    C: hp.C,
    tol: hp.tol,
    maxIter: hp.maxIter,
    ...(sampleWeight ? { sampleWeight } : {}),
  });
  if (t.kind === 'index') {
    const r = await fitLogisticRegression(x.data, n, d, t.index, t.numClasses, options(weights));
    const pad = outputs - (t.numClasses === 2 ? 1 : t.numClasses);
    const coef = new Float32Array(outputs * d);
    coef.set(r.coef, pad * d);
    const intercept = new Float32Array(outputs);
    intercept.set(r.intercept, pad);
    return {
      weights: { coef, intercept, outputs, features: d },
      report: { nIter: [r.nIter], converged: [r.converged], loss: [r.loss] },
    };
  }
  const L = t.numLabels;
  const coef = new Float32Array(L * d);
  const intercept = new Float32Array(L);
  const report: LbfgsReport = { nIter: [], converged: [], loss: [] };
  for (let j = 0; j < L; j++) {
    const y = Int32Array.from({ length: n }, (_, i) => t.data[i * L + j]);
    const w = weights ? Float64Array.from({ length: n }, (_, i) => weights[i * L + j]) : undefined;
    const r = await fitLogisticRegression(x.data, n, d, y, 2, options(w));
    coef.set(r.coef, j * d);
    intercept[j] = r.intercept[0];
    report.nIter.push(r.nIter);
    report.converged.push(r.converged);
    report.loss.push(r.loss);
  }
  return { weights: { coef, intercept, outputs: L, features: d }, report };
}
