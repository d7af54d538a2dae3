/**
 * Moré-Thuente line search (MINPACK-2 `dcsrch` / `dcstep`), the one scipy's L-BFGS-B uses, so
 * that our iterates follow scikit-learn's closely. Finds a step satisfying the strong Wolfe
 * conditions `phi(stp) <= phi(0) + ftol * stp * phi'(0)` and `|phi'(stp)| <= gtol * |phi'(0)|`
 * by safeguarded cubic/quadratic interpolation.
 *
 * Reference: J. J. Moré and D. J. Thuente, "Line search algorithms with guaranteed sufficient
 * decrease", ACM TOMS 20 (1994) 286-307.
 */

/** Value and directional derivative of the objective at `x + stp * d`. @internal */
export interface LinePoint {
  readonly f: number;
  readonly g: number;
}

/** Settings of the search (see {@link LBFGSB_LINE_SEARCH}). @internal */
export interface LineSearchOptions {
  readonly ftol: number;
  readonly gtol: number;
  readonly xtol: number;
  readonly stpmin: number;
  readonly stpmax: number;
  /** Evaluations allowed before the search counts as failed (scipy's `maxls`). */
  readonly maxEvals: number;
}

/** L-BFGS-B's settings. @internal */
export const LBFGSB_LINE_SEARCH: LineSearchOptions = {
  ftol: 1e-3,
  gtol: 0.9,
  xtol: 0.1,
  stpmin: 0,
  stpmax: 1e10,
  maxEvals: 20,
};

/**
 * Outcome. `ok` is false when the search ran out of evaluations or was handed an ascent
 * direction; otherwise `stp` is the accepted step (converged, or stopped on one of dcsrch's
 * warnings such as rounding errors, which L-BFGS-B also accepts) and `point` its value.
 *
 * @internal
 */
export interface LineSearchResult {
  readonly ok: boolean;
  readonly stp: number;
  readonly point: LinePoint;
  readonly evals: number;
}

interface Bracket {
  stx: number; fx: number; gx: number;
  sty: number; fy: number; gy: number;
  brackt: boolean;
}

/**
 * Runs the search from `stp`, calling `phi` for each trial step; `phi` must leave the
 * objective's state at the last step it was called with (the caller keeps the gradient there).
 *
 * @internal
 */
export function moreThuente(
  phi: (stp: number) => LinePoint,
  at0: LinePoint,
  stp0: number,
  o: LineSearchOptions,
): LineSearchResult {
  const finit = at0.f;
  const ginit = at0.g;
  if (!(ginit < 0) || !(stp0 > 0)) return { ok: false, stp: 0, point: at0, evals: 0 };
  const gtest = o.ftol * ginit;
  const b: Bracket = { stx: 0, fx: finit, gx: ginit, sty: 0, fy: finit, gy: ginit, brackt: false };
  let stage = 1;
  let width = o.stpmax - o.stpmin;
  let width1 = width / 0.5;
  let stmin = 0;
  let stmax = stp0 + 4 * stp0;
  let stp = stp0;
  for (let evals = 1; ; evals++) {
    const at = phi(stp);
    const { f, g } = at;
    if (!Number.isFinite(f) || !Number.isFinite(g)) {
      // Overflow far along the line: back off towards the best step so far (not in dcsrch).
      if (evals >= o.maxEvals) return { ok: false, stp, point: at, evals };
      stmax = stp;
      stp = b.stx + 0.1 * (stp - b.stx);
      continue;
    }
    const ftest = finit + stp * gtest;
    if (stage === 1 && f <= ftest && g >= 0) stage = 2;
    // dcsrch's warnings end the search with the current step, as in L-BFGS-B.
    const warn =
      (b.brackt && (stp <= stmin || stp >= stmax)) ||
      (b.brackt && stmax - stmin <= o.xtol * stmax) ||
      (stp === o.stpmax && f <= ftest && g <= gtest) ||
      (stp === o.stpmin && (f > ftest || g >= gtest));
    const converged = f <= ftest && Math.abs(g) <= o.gtol * -ginit;
    if (warn || converged) return { ok: Number.isFinite(f), stp, point: at, evals };
    if (evals >= o.maxEvals) return { ok: false, stp, point: at, evals };
    if (stage === 1 && f <= b.fx && f > ftest) {
      // Modified function psi(stp) = phi(stp) - phi(0) - gtest * stp until sufficient decrease holds.
      const m: Bracket = {
        stx: b.stx, fx: b.fx - b.stx * gtest, gx: b.gx - gtest,
        sty: b.sty, fy: b.fy - b.sty * gtest, gy: b.gy - gtest, brackt: b.brackt,
      };
      stp = dcstep(m, stp, f - stp * gtest, g - gtest, stmin, stmax);
      Object.assign(b, m, { fx: m.fx + m.stx * gtest, fy: m.fy + m.sty * gtest, gx: m.gx + gtest, gy: m.gy + gtest });
    } else {
      stp = dcstep(b, stp, f, g, stmin, stmax);
    }
    if (b.brackt) {
      if (Math.abs(b.sty - b.stx) >= 0.66 * width1) stp = b.stx + 0.5 * (b.sty - b.stx);
      width1 = width;
      width = Math.abs(b.sty - b.stx);
      stmin = Math.min(b.stx, b.sty);
      stmax = Math.max(b.stx, b.sty);
    } else {
      stmin = stp + 1.1 * (stp - b.stx);
      stmax = stp + 4 * (stp - b.stx);
    }
    stp = Math.min(Math.max(stp, o.stpmin), o.stpmax);
    if ((b.brackt && (stp <= stmin || stp >= stmax)) || (b.brackt && stmax - stmin <= o.xtol * stmax)) stp = b.stx;
    if (!Number.isFinite(stp)) return { ok: false, stp: b.stx, point: at, evals };
  }
}

/** Cubic through two points with derivatives: the minimiser's offset, guarded as dcstep does. */
function cubicGamma(theta: number, d1: number, d2: number, clampZero: boolean): number {
  const s = Math.max(Math.abs(theta), Math.abs(d1), Math.abs(d2));
  const disc = (theta / s) * (theta / s) - (d1 / s) * (d2 / s);
  return s * Math.sqrt(clampZero ? Math.max(0, disc) : disc);
}

/**
 * One safeguarded step of dcstep: updates the bracket `b` with the trial (stp, fp, dp) and
 * returns the next trial step.
 */
function dcstep(b: Bracket, stp: number, fp: number, dp: number, stpmin: number, stpmax: number): number {
  const { stx, fx, gx: dx, sty, fy, gy: dy } = b;
  const sgnd = dp * Math.sign(dx);
  let stpf: number;
  if (fp > fx) {
    // Higher value: the minimum is bracketed; take the cubic step or the mean with the quadratic.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    let gamma = cubicGamma(theta, dx, dp, false);
    if (stp < stx) gamma = -gamma;
    const r = (gamma - dx + theta) / (gamma - dx + gamma + dp);
    const stpc = stx + r * (stp - stx);
    const stpq = stx + (dx / ((fx - fp) / (stp - stx) + dx) / 2) * (stp - stx);
    stpf = Math.abs(stpc - stx) < Math.abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
    b.brackt = true;
  } else if (sgnd < 0) {
    // Derivatives of opposite sign: bracketed; the step farther from stp.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    let gamma = cubicGamma(theta, dx, dp, false);
    if (stp > stx) gamma = -gamma;
    const r = (gamma - dp + theta) / (gamma - dp + gamma + dx);
    const stpc = stp + r * (stx - stp);
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
    b.brackt = true;
  } else if (Math.abs(dp) < Math.abs(dx)) {
    // Same sign, derivative decreasing in magnitude: extrapolate with care.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    let gamma = cubicGamma(theta, dx, dp, true);
    if (stp > stx) gamma = -gamma;
    const r = (gamma - dp + theta) / (gamma + (dx - dp) + gamma);
    let stpc: number;
    if (r < 0 && gamma !== 0) stpc = stp + r * (stx - stp);
    else stpc = stp > stx ? stpmax : stpmin;
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    if (b.brackt) {
      stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
      stpf = stp > stx ? Math.min(stp + 0.66 * (sty - stp), stpf) : Math.max(stp + 0.66 * (sty - stp), stpf);
    } else {
      stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
      stpf = Math.max(stpmin, Math.min(stpmax, stpf));
    }
  } else if (b.brackt) {
    // Same sign, derivative not decreasing: cubic step towards the other end of the bracket.
    const theta = (3 * (fp - fy)) / (sty - stp) + dy + dp;
    let gamma = cubicGamma(theta, dy, dp, false);
    if (stp > sty) gamma = -gamma;
    const r = (gamma - dp + theta) / (gamma - dp + gamma + dy);
    stpf = stp + r * (sty - stp);
  } else {
    stpf = stp > stx ? stpmax : stpmin;
  }
  if (fp > fx) {
    b.sty = stp;
    b.fy = fp;
    b.gy = dp;
  } else {
    if (sgnd < 0) {
      b.sty = stx;
      b.fy = fx;
      b.gy = dx;
    }
    b.stx = stp;
    b.fx = fp;
    b.gx = dp;
  }
  return stpf;
}
