import { describe, expect, it } from 'vitest';
import { type LinePoint, moreThuente } from '../../../../src/probe/lbfgs/line-search.js';

type Phi = (a: number) => LinePoint;

const yanai = (b1: number, b2: number): Phi => {
  const gamma = (b: number) => Math.sqrt(1 + b * b) - b;
  return (a) => ({
    f: gamma(b1) * Math.sqrt((1 - a) ** 2 + b2 * b2) + gamma(b2) * Math.sqrt(a * a + b1 * b1),
    g: (-gamma(b1) * (1 - a)) / Math.sqrt((1 - a) ** 2 + b2 * b2) + (gamma(b2) * a) / Math.sqrt(a * a + b1 * b1),
  });
};

/** The six test functions of Moré and Thuente (1994), with their ftol and gtol. */
const problems: Array<[string, Phi, number, number]> = [
  ['1: -a / (a^2 + 2)', (a) => ({ f: -a / (a * a + 2), g: (a * a - 2) / (a * a + 2) ** 2 }), 1e-3, 0.1],
  ['2: (a + b)^5 - 2 (a + b)^4', (a) => {
    const t = a + 0.004;
    return { f: t ** 5 - 2 * t ** 4, g: 5 * t ** 4 - 8 * t ** 3 };
  }, 0.1, 0.1],
  ['3: wiggly', (a) => {
    const [l, b] = [39, 0.01];
    let f0: number;
    let g0: number;
    if (a <= 1 - b) [f0, g0] = [1 - a, -1];
    else if (a >= 1 + b) [f0, g0] = [a - 1, 1];
    else [f0, g0] = [(a - 1) ** 2 / (2 * b) + b / 2, (a - 1) / b];
    return {
      f: f0 + ((2 * (1 - b)) / (l * Math.PI)) * Math.sin((l * Math.PI * a) / 2),
      g: g0 + (1 - b) * Math.cos((l * Math.PI * a) / 2),
    };
  }, 0.1, 0.1],
  ['4: Yanai (0.001, 0.001)', yanai(0.001, 0.001), 1e-3, 1e-3],
  ['5: Yanai (0.01, 0.001)', yanai(0.01, 0.001), 1e-3, 1e-3],
  ['6: Yanai (0.001, 0.01)', yanai(0.001, 0.01), 1e-3, 1e-3],
];

describe('moreThuente', () => {
  it.each(problems)('finds a strong-Wolfe step on test function %s from every start', (_, phi, ftol, gtol) => {
    const at0 = phi(0);
    for (const stp0 of [1e-3, 1e-1, 1e1, 1e3]) {
      let evals = 0;
      const res = moreThuente(
        (a) => {
          evals++;
          return phi(a);
        },
        at0,
        stp0,
        { ftol, gtol, xtol: 1e-10, stpmin: 0, stpmax: 1e10, maxEvals: 30 },
      );
      expect(res.ok).toBe(true);
      expect(res.evals).toBe(evals);
      expect(res.point.f).toBeLessThanOrEqual(at0.f + ftol * res.stp * at0.g);
      expect(Math.abs(res.point.g)).toBeLessThanOrEqual(gtol * Math.abs(at0.g) + 1e-12);
      // The paper's table: every case converges within about a dozen evaluations.
      expect(evals).toBeLessThanOrEqual(15);
    }
  });

  it('refuses an ascent direction and reports running out of evaluations', () => {
    const opts = { ftol: 1e-3, gtol: 0.9, xtol: 0.1, stpmin: 0, stpmax: 1e10, maxEvals: 3 };
    expect(moreThuente((a) => ({ f: a, g: 1 }), { f: 0, g: 1 }, 1, opts).ok).toBe(false);
    // Always decreasing linearly: the step grows but never meets the curvature condition.
    const res = moreThuente((a) => ({ f: -a, g: -1 }), { f: 0, g: -1 }, 1, opts);
    expect(res.ok).toBe(false);
    expect(res.evals).toBe(3);
  });

  it('backs off from overflow instead of interpolating through it', () => {
    const phi: Phi = (a) => (a > 5 ? { f: Infinity, g: NaN } : { f: (a - 2) ** 2, g: 2 * (a - 2) });
    const res = moreThuente(phi, phi(0), 100, { ftol: 1e-3, gtol: 0.9, xtol: 0.1, stpmin: 0, stpmax: 1e10, maxEvals: 20 });
    expect(res.ok).toBe(true);
    expect(Number.isFinite(res.point.f)).toBe(true);
    expect(res.point.f).toBeLessThan(4);
  });
});
