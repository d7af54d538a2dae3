import { LBFGSB_LINE_SEARCH, moreThuente } from './line-search.js';

/**
 * A smooth objective. `evaluate` writes the gradient at `x` into `grad` and returns the value.
 * With `fast`, it may round (f32 products) to run faster; `hasFast` says whether that mode
 * exists at all.
 *
 * @internal
 */
export interface Differentiable {
  readonly dim: number;
  readonly hasFast: boolean;
  evaluate(x: Float64Array, fast: boolean, grad: Float64Array): number;
}

/** @internal */
export interface LbfgsOptions {
  /** Iterations (accepted steps), as scipy's `maxiter`. */
  readonly maxIter: number;
  /** Stop when max |grad_i| <= gtol (scipy's `gtol`, L-BFGS-B's `pgtol`). */
  readonly gtol: number;
  /** Stop when (f_prev - f) / max(|f_prev|, |f|, 1) <= ftol (scipy's `ftol`). */
  readonly ftol: number;
  /** Correction pairs kept (scipy's `maxcor`). */
  readonly memory: number;
}

/** @internal */
export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly nIter: number;
  readonly nEval: number;
  /** Evaluations done in the exact mode (the rest were fast). */
  readonly nExactEval: number;
  readonly converged: boolean;
  /** max |grad_i| at `x`; `f` and this come from an exact evaluation. */
  readonly gradMax: number;
}

/** scipy's default `ftol` for L-BFGS-B (`factr = 1e7` times machine epsilon). @internal */
export const SCIPY_FTOL = 1e7 * 2.220446049250313e-16;

const EPS = 2.220446049250313e-16;

function dotv(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** The L-BFGS memory: the last `m` pairs (s, y) and the two-loop recursion over them. */
class History {
  private readonly s: Float64Array[] = [];
  private readonly y: Float64Array[] = [];
  private readonly rho: number[] = [];
  private readonly alpha: Float64Array;

  constructor(private readonly m: number) {
    this.alpha = new Float64Array(m);
  }

  get size(): number {
    return this.s.length;
  }

  clear(): void {
    this.s.length = 0;
    this.y.length = 0;
    this.rho.length = 0;
  }

  push(s: Float64Array, y: Float64Array, sy: number): void {
    const reuse = this.s.length === this.m;
    const sNew = reuse ? (this.s.shift() as Float64Array) : new Float64Array(s.length);
    const yNew = reuse ? (this.y.shift() as Float64Array) : new Float64Array(s.length);
    if (reuse) this.rho.shift();
    sNew.set(s);
    yNew.set(y);
    this.s.push(sNew);
    this.y.push(yNew);
    this.rho.push(1 / sy);
  }

  /** d = -H g, with H0 = (s'y / y'y) I from the newest pair (as L-BFGS-B's theta). */
  direction(g: Float64Array, d: Float64Array): void {
    const { s, y, rho, alpha } = this;
    const n = s.length;
    for (let i = 0; i < d.length; i++) d[i] = -g[i];
    for (let i = n - 1; i >= 0; i--) {
      const a = rho[i] * dotv(s[i], d);
      alpha[i] = a;
      const yi = y[i];
      for (let t = 0; t < d.length; t++) d[t] -= a * yi[t];
    }
    if (n > 0) {
      const gamma = 1 / (rho[n - 1] * dotv(y[n - 1], y[n - 1]));
      for (let t = 0; t < d.length; t++) d[t] *= gamma;
    }
    for (let i = 0; i < n; i++) {
      const beta = rho[i] * dotv(y[i], d);
      const si = s[i];
      const c = alpha[i] - beta;
      for (let t = 0; t < d.length; t++) d[t] += c * si[t];
    }
  }
}

/**
 * Minimises `fn` from `x0` by L-BFGS with a Moré-Thuente line search, following L-BFGS-B's
 * unconstrained path (initial step 1/||d||, restart on line-search failure, the same stopping
 * tests), so that it stops where scipy, and hence scikit-learn, stops.
 *
 * When the objective offers a fast (f32) mode, iterations run in it until a stopping test
 * fires or the line search fails; then the point is re-evaluated exactly and, unless that
 * confirms convergence, the remaining iterations run exact. The fast phase gets the bulk of the
 * descent cheaply; the exact phase makes the stopping tests, and the optimum, f64-accurate.
 *
 * @internal
 */
export function minimizeLbfgs(fn: Differentiable, x0: Float64Array, o: LbfgsOptions): LbfgsResult {
  const n = fn.dim;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const d = new Float64Array(n);
  const s = new Float64Array(n);
  const yv = new Float64Array(n);
  const hist = new History(o.memory);
  let fast = fn.hasFast;
  let nEval = 0;
  let nExactEval = 0;
  const evaluate = (at: Float64Array, grad: Float64Array): number => {
    nEval++;
    if (!fast) nExactEval++;
    return fn.evaluate(at, fast, grad);
  };
  let f = evaluate(x, g);
  const done = (converged: boolean, nIter: number): LbfgsResult => ({
    x, f, nIter, nEval, nExactEval, converged, gradMax: maxAbs(g),
  });
  /** Leaves the fast mode: re-evaluates at x exactly. True when x then passes the gradient test. */
  const goExact = (): boolean => {
    fast = false;
    f = evaluate(x, g);
    return maxAbs(g) <= o.gtol;
  };
  if (maxAbs(g) <= o.gtol && (!fast || goExact())) return done(true, 0);
  let iter = 0;
  while (iter < o.maxIter) {
    hist.direction(g, d);
    let gd = dotv(g, d);
    if (!(gd < 0)) {
      // Not a descent direction (curvature pairs spoiled by rounding): restart from -g.
      hist.clear();
      for (let i = 0; i < n; i++) d[i] = -g[i];
      gd = -dotv(g, g);
    }
    const stp0 = iter === 0 && hist.size === 0 ? Math.min(1 / Math.sqrt(dotv(d, d)), LBFGSB_LINE_SEARCH.stpmax) : 1;
    // The search returns the step it evaluated last, so xNew, gNew hold the accepted point.
    const ls = moreThuente(
      (stp) => {
        for (let i = 0; i < n; i++) xNew[i] = x[i] + stp * d[i];
        const fv = evaluate(xNew, gNew);
        return { f: fv, g: dotv(gNew, d) };
      },
      { f, g: gd },
      stp0,
      LBFGSB_LINE_SEARCH,
    );
    if (!ls.ok) {
      // x, f and g still hold the last accepted point.
      if (fast) {
        // Most likely f32 rounding hiding the decrease: keep the memory, go on exact.
        if (goExact()) return done(true, iter);
        continue;
      }
      if (hist.size === 0) return done(maxAbs(g) <= o.gtol, iter);
      hist.clear();
      continue;
    }
    iter++;
    const fOld = f;
    f = ls.point.f;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      yv[i] = gNew[i] - g[i];
    }
    const gOldS = dotv(g, s);
    x.set(xNew);
    g.set(gNew);
    const small = maxAbs(g) <= o.gtol || fOld - f <= o.ftol * Math.max(Math.abs(fOld), Math.abs(f), 1);
    if (small) {
      if (!fast || goExact()) return done(true, iter);
    }
    const sy = dotv(s, yv);
    // L-BFGS-B skips pairs whose curvature is not safely positive.
    if (sy > EPS * -gOldS) hist.push(s, yv, sy);
  }
  // Out of iterations: one exact evaluation so the reported value and gradient are f64's.
  if (fast) goExact();
  return done(false, iter);
}
