import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One scikit-learn reference fit written by scripts/fixtures/lbfgs_reference.py. */
export interface SklearnCase {
  readonly name: string;
  readonly task: 'binary' | 'multiclass';
  readonly C: number;
  readonly tol: number;
  readonly maxIter: number;
  readonly fitIntercept: boolean;
  readonly sampleWeight: number[] | null;
  readonly coef: number[];
  readonly intercept: number[];
  readonly nIter: number;
  readonly objective: number;
  readonly testProba: number[];
  readonly testLogLoss: number;
}

interface Raw {
  readonly nTrain: number;
  readonly nTest: number;
  readonly d: number;
  readonly x: number[];
  readonly yBinary: number[];
  readonly yMulticlass: number[];
  readonly cases: SklearnCase[];
}

const raw = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../fixtures/probe/lbfgs-sklearn.json', import.meta.url)), 'utf8'),
) as Raw;

/** The fixture's data split into train and test, with the inputs each case needs. */
export const fixture = {
  nTrain: raw.nTrain,
  nTest: raw.nTest,
  d: raw.d,
  xTrain: Float32Array.from(raw.x.slice(0, raw.nTrain * raw.d)),
  xTest: Float32Array.from(raw.x.slice(raw.nTrain * raw.d)),
  cases: raw.cases,
  /** Train labels, test labels and class count of a case. */
  labels(c: SklearnCase): { yTrain: Int32Array; yTest: Int32Array; numClasses: number } {
    const y = c.task === 'binary' ? raw.yBinary : raw.yMulticlass;
    return {
      yTrain: Int32Array.from(y.slice(0, raw.nTrain)),
      yTest: Int32Array.from(y.slice(raw.nTrain)),
      numClasses: c.task === 'binary' ? 2 : 4,
    };
  },
};

/** Mean negative log-probability of the true class, as scikit-learn's log_loss. */
export function logLoss(proba: Float64Array, y: Int32Array, numClasses: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(proba[i * numClasses + y[i]]);
  return s / y.length;
}

/** Fraction of rows whose most probable class is the same in both probability tables. */
export function labelAgreement(a: Float64Array, b: ArrayLike<number>, numClasses: number): number {
  const argmax = (p: ArrayLike<number>, i: number) => {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (p[i * numClasses + c] > p[i * numClasses + best]) best = c;
    return best;
  };
  const n = a.length / numClasses;
  let same = 0;
  for (let i = 0; i < n; i++) if (argmax(a, i) === argmax(b, i)) same++;
  return same / n;
}
