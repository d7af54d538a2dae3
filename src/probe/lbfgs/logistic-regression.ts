import { InvalidArgumentError, NonFiniteError, ShapeError } from '../../errors/index.js';
import { SCIPY_FTOL, minimizeLbfgs } from './lbfgs.js';
import { JsLinearKernel, type LinearKernel, dot } from './linear-kernel.js';
import { LogisticObjective } from './objective.js';
import { createWasmKernel } from './wasm-linear-kernel.js';

/**
 * Options of {@link fitLogisticRegression}; every default is scikit-learn 1.2's
 * `LogisticRegression(solver='lbfgs')` default.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface LbfgsFitOptions {
  /**
   * Inverse regularisation strength. The objective is
   * `0.5 * ||W||^2 + C * sum_i s_i * loss_i` (intercepts unpenalised), as in scikit-learn.
   * @defaultValue 1.0
   */
  readonly C?: number;
  /**
   * Stop when max |gradient| <= tol, the gradient taken of `sum_i s_i loss_i + ||W||^2 / (2C)`
   * (the objective above divided by C, which is what scikit-learn 1.2 and scipy test), so the
   * same `tol` stops at the same point. scipy's relative-decrease test (`ftol` 2.2e-9) also
   * stops, as in scikit-learn.
   * @defaultValue 1e-4
   */
  readonly tol?: number;
  /**
   * Most L-BFGS iterations, as scikit-learn's `max_iter`. Reaching it leaves `converged` false
   * (where scikit-learn warns `ConvergenceWarning`).
   * @defaultValue 100
   */
  readonly maxIter?: number;
  /** Non-negative weight per row (class balancing arrives here). @defaultValue all ones */
  readonly sampleWeight?: Float32Array | Float64Array;
  /** Fit an unpenalised intercept per output. @defaultValue true */
  readonly fitIntercept?: boolean;
  /**
   * Arithmetic of the matrix products. `'f64'` throughout follows scikit-learn's iterates to
   * rounding. `'mixed'` runs f32 WebAssembly SIMD products (about 1.7x faster than the f64
   * ones) until a stopping test or a failed line search says the rounding matters, then
   * finishes in f64: the same optimum by a slightly different path. Fits that converge agree
   * with scikit-learn to about 1e-7 in the objective; a fit cut short by `maxIter` on an
   * ill-conditioned problem stops a little elsewhere (1e-4 relative in test log-loss on the
   * 10,000 x 2048 benchmark). `'auto'` is `'mixed'` when `n * d * k` (k = 1 for two classes)
   * is at least 2^18 (from about 550 x 480 pixels on), where the fit takes longer than the
   * kernel's compilation, else `'f64'`. Without WebAssembly SIMD every mode
   * runs f64 TypeScript.
   * @defaultValue 'auto'
   */
  readonly precision?: 'auto' | 'mixed' | 'f64';
}

/**
 * A fitted L2-regularised logistic / softmax regression.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface LbfgsFitResult {
  /** Row-major `[k, d]`: k = 1 for two classes (logistic on class 1), else the class count. */
  readonly coef: Float64Array;
  /** `[k]`; zeros when `fitIntercept` is false. */
  readonly intercept: Float64Array;
  /** L-BFGS iterations taken (scikit-learn's `n_iter_`). */
  readonly nIter: number;
  /** Whether a stopping test passed before `maxIter`. */
  readonly converged: boolean;
  /** Final objective `0.5 * ||W||^2 + C * sum_i s_i * loss_i`. */
  readonly loss: number;
}

function checkPositiveInt(name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}; received ${v}.`);
  }
}

/** Names a wrong-typed argument without stringifying its (possibly huge) contents. */
function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  const length = (v as { length?: unknown }).length;
  return typeof length === 'number' ? `${name} of length ${length}` : name;
}

function checkMatrix(x: Float32Array, n: number, d: number): void {
  checkPositiveInt('n', n);
  checkPositiveInt('d', d);
  if (!(x instanceof Float32Array) || x.length !== n * d) {
    throw new ShapeError(
      `x must be a Float32Array of n * d = ${n} * ${d} = ${n * d} values (row-major [n, d]); received ${
        x instanceof Float32Array ? `length ${x.length}` : describe(x)
      }.`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new NonFiniteError(
        `x must be finite; x[${Math.floor(i / d)}, ${i % d}] is ${x[i]}. Impute or drop such rows first.`,
      );
    }
  }
}

function checkLabels(y: Int32Array, n: number, numClasses: number): void {
  checkPositiveInt('numClasses', numClasses, 2);
  if (!(y instanceof Int32Array) || y.length !== n) {
    const got = y instanceof Int32Array ? `length ${y.length}` : describe(y);
    throw new ShapeError(`y must be an Int32Array of n = ${n} class indices; received ${got}.`);
  }
  for (let i = 0; i < n; i++) {
    if (y[i] < 0 || y[i] >= numClasses) {
      throw new InvalidArgumentError(`y[${i}] is ${y[i]}; class indices must lie in [0, ${numClasses - 1}].`);
    }
  }
}

function checkWeights(
  sw: Float32Array | Float64Array | undefined,
  y: Int32Array,
  numClasses: number,
): Float64Array | undefined {
  const n = y.length;
  if (sw !== undefined && sw.length !== n) {
    throw new ShapeError(`sampleWeight must hold n = ${n} weights; received ${sw.length}.`);
  }
  const perClass = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    const w = sw ? sw[i] : 1;
    if (!Number.isFinite(w)) throw new NonFiniteError(`sampleWeight[${i}] is ${w}; weights must be finite.`);
    if (w < 0) throw new InvalidArgumentError(`sampleWeight[${i}] is ${w}; weights must be >= 0.`);
    perClass[y[i]] += w;
  }
  const empty = perClass.findIndex((v) => v === 0);
  if (empty >= 0) {
    // An absent class makes the optimum infinite (its intercept runs to -infinity).
    throw new InvalidArgumentError(
      `class ${empty} has no rows with positive weight; every class in [0, ${numClasses - 1}] must be present. ` +
        'Drop the class from numClasses and relabel, or add examples of it.',
    );
  }
  return sw ? Float64Array.from(sw) : undefined;
}

function checkOptions(o: LbfgsFitOptions): { C: number; tol: number; maxIter: number } {
  const C = o.C ?? 1;
  const tol = o.tol ?? 1e-4;
  const maxIter = o.maxIter ?? 100;
  if (!(C > 0) || !Number.isFinite(C)) throw new InvalidArgumentError(`C must be finite and > 0; received ${C}.`);
  if (!(tol >= 0) || !Number.isFinite(tol)) {
    throw new InvalidArgumentError(`tol must be finite and >= 0; received ${tol}.`);
  }
  checkPositiveInt('maxIter', maxIter);
  const precision = o.precision ?? 'auto';
  if (!['auto', 'mixed', 'f64'].includes(precision)) {
    throw new InvalidArgumentError(`precision must be 'auto', 'mixed' or 'f64'; received ${String(precision)}.`);
  }
  return { C, tol, maxIter };
}

/** Work per product (n * d * k) from which `precision: 'auto'` takes the mixed mode. */
const MIXED_MIN_WORK = 2 ** 18;

/**
 * Fits L2-regularised logistic regression (two classes) or multinomial softmax regression
 * (three or more) by L-BFGS, reaching the optimum of scikit-learn 1.2's
 * `LogisticRegression(solver='lbfgs')` with the same `C`, `tol`, `max_iter` and sample weights.
 *
 * @remarks
 * Since 0.1.0. Asynchronous because the WebAssembly kernel is compiled asynchronously (browsers
 * refuse large synchronous compiles on the main thread); the fit itself then runs without
 * yielding. X is copied once into the kernel's memory (n * d * 4 bytes beside the caller's
 * copy). See {@link LbfgsFitOptions.precision} for how the f32 and f64 products are used.
 *
 * @param x - features, row-major `[n, d]`.
 * @param y - class index of each row, in `[0, numClasses)`.
 * @throws {@link ShapeError} when `x`, `y` or `sampleWeight` lengths do not fit `n` and `d`.
 * @throws {@link NonFiniteError} for NaN or infinite features or weights.
 * @throws {@link InvalidArgumentError} for labels out of range, a class without rows, `C <= 0`,
 * negative `tol` or weights, `maxIter < 1` or an unknown `precision`.
 * @internal
 */
export async function fitLogisticRegression(
  x: Float32Array,
  n: number,
  d: number,
  y: Int32Array,
  numClasses: number,
  options: LbfgsFitOptions = {},
): Promise<LbfgsFitResult> {
  checkMatrix(x, n, d);
  checkLabels(y, n, numClasses);
  checkOptions(options);
  checkWeights(options.sampleWeight, y, numClasses);
  const k = numClasses === 2 ? 1 : numClasses;
  const precision = options.precision ?? 'auto';
  const mixed = precision === 'mixed' || (precision === 'auto' && n * d * k >= MIXED_MIN_WORK);
  const kernel = (await createWasmKernel(x, n, d, k)) ?? new JsLinearKernel(x, n, d, k);
  try {
    return fitOnKernel(kernel, mixed, y, numClasses, options);
  } finally {
    kernel.dispose();
  }
}

/**
 * The fit on a kernel that already holds X, inputs already checked (tests drive the TypeScript
 * and WebAssembly kernels through it).
 *
 * @internal
 */
export function fitOnKernel(
  kernel: LinearKernel,
  mixed: boolean,
  y: Int32Array,
  numClasses: number,
  options: LbfgsFitOptions,
): LbfgsFitResult {
  const { C, tol, maxIter } = checkOptions(options);
  const sampleWeight = checkWeights(options.sampleWeight, y, numClasses);
  const fitIntercept = options.fitIntercept ?? true;
  const k = numClasses === 2 ? 1 : numClasses;
  const n = y.length;
  const d = kernel.d;
  const objective = new LogisticObjective(kernel, { n, d, y, k, sampleWeight, C, fitIntercept }, mixed);
  // scipy's defaults for what scikit-learn leaves unset: ftol and 10 correction pairs.
  const settings = { maxIter, gtol: tol, ftol: SCIPY_FTOL, memory: 10 };
  const res = minimizeLbfgs(objective, new Float64Array(objective.dim), settings);
  const coef = res.x.slice(0, k * d);
  const intercept = fitIntercept ? res.x.slice(k * d, k * d + k) : new Float64Array(k);
  return { coef, intercept, nIter: res.nIter, converged: res.converged, loss: C * res.f };
}

/**
 * Class probabilities of a fitted model: the logistic of `x . coef + intercept` for two classes
 * (`[1 - p, p]` per row), the softmax over classes otherwise.
 *
 * @remarks Since 0.1.0. Computed in f64.
 * @param fit - a {@link LbfgsFitResult} or anything with its `coef` and `intercept`.
 * @returns row-major `[n, numClasses]`.
 * @throws {@link ShapeError} when `x` or the coefficients do not fit `n`, `d` and `numClasses`.
 * @throws {@link NonFiniteError} for NaN or infinite features.
 * @internal
 */
export function predictLogisticProba(
  x: Float32Array,
  n: number,
  d: number,
  fit: Pick<LbfgsFitResult, 'coef' | 'intercept'>,
  numClasses: number,
): Float64Array {
  checkMatrix(x, n, d);
  checkPositiveInt('numClasses', numClasses, 2);
  const k = numClasses === 2 ? 1 : numClasses;
  if (fit.coef.length !== k * d || fit.intercept.length !== k) {
    throw new ShapeError(
      `a model of ${numClasses} classes on ${d} features needs coef of length ${k * d} and intercept of length ${k}; ` +
        `received ${fit.coef.length} and ${fit.intercept.length}.`,
    );
  }
  const w = Float64Array.from(fit.coef);
  const out = new Float64Array(n * numClasses);
  const z = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) z[c] = dot(x, i * d, w, c * d, d) + fit.intercept[c];
    const o = i * numClasses;
    if (k === 1) {
      const e = Math.exp(-Math.abs(z[0]));
      const p = z[0] >= 0 ? 1 / (1 + e) : e / (1 + e);
      out[o] = 1 - p;
      out[o + 1] = p;
      continue;
    }
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, z[c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += out[o + c] = Math.exp(z[c] - m);
    for (let c = 0; c < k; c++) out[o + c] /= sum;
  }
  return out;
}
