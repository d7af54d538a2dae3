/**
 * The standard normal distribution to double precision, for the confidence intervals and
 * p-values of the DeLong functions. Kept out of the public API for now: the metrics need it,
 * users are not meant to depend on it yet.
 *
 * References:
 * - W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
 *   (1969) 631-638; coefficients of the netlib `specfun/erf` routine CALERF (1990).
 * - M. J. Wichura, "Algorithm AS 241: The percentage points of the normal distribution",
 *   Applied Statistics 37 (1988) 477-484 (PPND16).
 *
 * @packageDocumentation
 */

// Cody's near-minimax rational approximations (about 18 significant digits each).
const ERF_A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const ERF_B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
const ERFC_C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131,
  881.95222124176909, 1712.04761263407058, 2051.07837782607147, 1230.33935479799725,
  2.15311535474403846e-8,
];
const ERFC_D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019,
  3290.79923573345963, 4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
];
const ERFC_P = [
  0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766,
  6.58749161529837803e-4, 0.0163153871373020978,
];
const ERFC_Q = [2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185];
const ONE_OVER_SQRT_PI = 0.56418958354775628695;
// Beyond this erfc(x) underflows to 0 in double precision.
const ERFC_XBIG = 26.543;

/**
 * exp(-y^2 / 2) without the rounding error that squaring y first would bring: y is split into a
 * part with few bits (exact square) and a small remainder (Cody's trick). Keeps tail relative
 * accuracy, where a 1-ulp error in y^2 would cost about y^2 ulps.
 */
function expMinusHalfSquare(y: number): number {
  const head = Math.trunc(y * 16) / 16;
  const del = (y - head) * (y + head);
  return Math.exp(-0.5 * head * head) * Math.exp(-0.5 * del);
}

/** erfc(y) for 0 <= y <= 0.46875, where 1 - erf(y) does not cancel. */
function erfcSmall(y: number): number {
  const ysq = y > 1.11e-16 ? y * y : 0;
  let num = ERF_A[4] * ysq;
  let den = ysq;
  for (let i = 0; i < 3; i++) {
    num = (num + ERF_A[i]) * ysq;
    den = (den + ERF_B[i]) * ysq;
  }
  return 1 - (y * (num + ERF_A[3])) / (den + ERF_B[3]);
}

/** The scaled erfc(y) * exp(y^2) for y > 0.46875, a smooth function free of underflow. */
function erfcxLarge(y: number): number {
  if (y <= 4) {
    let num = ERFC_C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERFC_C[i]) * y;
      den = (den + ERFC_D[i]) * y;
    }
    return (num + ERFC_C[7]) / (den + ERFC_D[7]);
  }
  const ysq = 1 / (y * y);
  let num = ERFC_P[5] * ysq;
  let den = ysq;
  for (let i = 0; i < 4; i++) {
    num = (num + ERFC_P[i]) * ysq;
    den = (den + ERFC_Q[i]) * ysq;
  }
  return (ONE_OVER_SQRT_PI - (ysq * (num + ERFC_P[4])) / (den + ERFC_Q[4])) / y;
}

/** erfc for y >= 0, relative error a few ulps. */
function erfcNonNegative(y: number): number {
  if (y <= 0.46875) return erfcSmall(y);
  if (y >= ERFC_XBIG) return 0;
  // exp(-y^2) = exp(-(y sqrt 2)^2 / 2); y * SQRT2 is not exact, so split y itself.
  return erfcxLarge(y) * expMinusHalfSquare(y) * expMinusHalfSquare(y);
}

/**
 * The complementary error function erfc(x) = 1 - erf(x), accurate to a few ulps relative
 * error over its whole range, including the tail where `1 - erf(x)` would cancel to 0.
 *
 * @remarks Since 0.1.0. Cody (1969), netlib `specfun/erf`.
 * @example
 * ```ts
 * erfc(0); // 1
 * erfc(10); // 2.0884875837625446e-45
 * ```
 * @internal
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return x >= 0 ? erfcNonNegative(x) : 2 - erfcNonNegative(-x);
}

/**
 * The standard normal cumulative distribution function Phi(x) = P(Z <= x), with full relative
 * accuracy in the lower tail (Phi(-30) is 4.906713927148187e-198, not 0). Written as
 * `erfcx(-x / sqrt 2) * exp(-x^2 / 2) / 2`, the Gaussian factor taken from x itself: the
 * rounding of `x / sqrt 2` then only perturbs the smooth erfcx factor, instead of costing
 * about x^2 ulps in the exponential. Relative error is a few ulps everywhere.
 *
 * @remarks Since 0.1.0. Cody (1969).
 * @example
 * ```ts
 * normalCdf(1.959963984540054); // 0.975
 * ```
 * @internal
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const y = Math.abs(x) * Math.SQRT1_2;
  if (y <= 0.46875) return 0.5 * erfc(-x * Math.SQRT1_2);
  // Phi(-40) underflows even as a subnormal; this also keeps +-Infinity out of the split below.
  if (y > 28.3) return x < 0 ? 0 : 1;
  const tail = 0.5 * erfcxLarge(y) * expMinusHalfSquare(x);
  return x < 0 ? tail : 1 - tail;
}

/**
 * Two-sided p-value of a standard normal statistic, P(|Z| >= |z|) = 2 Phi(-|z|), accurate in
 * the tail where `2 * (1 - normalCdf(|z|))` would round to 0.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * normalTwoSidedPValue(1.959963984540054); // 0.05000000000000001
 * ```
 * @internal
 */
export function normalTwoSidedPValue(z: number): number {
  return 2 * normalCdf(-Math.abs(z));
}

// Wichura's AS 241 (PPND16) coefficients, highest degree last.
const Q_A = [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727];
const Q_B = [1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561];
const Q_C = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4];
const Q_D = [1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9];
const Q_E = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7];
const Q_F = [1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15];

/** Ratio of two degree-7 polynomials in r (Horner), coefficients lowest degree first. */
function ratio7(num: readonly number[], den: readonly number[], r: number): number {
  let n = num[7];
  let d = den[7];
  for (let i = 6; i >= 0; i--) {
    n = n * r + num[i];
    d = d * r + den[i];
  }
  return n / d;
}

/**
 * The standard normal quantile (inverse CDF): the z with Phi(z) = p. Wichura's AS 241, relative
 * accuracy about 1e-16 for p in (1e-300, 1). Returns -Infinity at 0, +Infinity at 1 and NaN
 * outside [0, 1]. For an upper quantile with tiny tail mass a, `-normalQuantile(a)` is more
 * accurate than `normalQuantile(1 - a)`, which loses the digits of a in `1 - a`.
 *
 * @remarks Since 0.1.0. Wichura (1988), Algorithm AS 241.
 * @example
 * ```ts
 * normalQuantile(0.975); // 1.9599639845400536
 * ```
 * @internal
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) return q * ratio7(Q_A, Q_B, 0.180625 - q * q);
  const tail = q < 0 ? p : 1 - p;
  if (tail === 0) return q < 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const r = Math.sqrt(-Math.log(tail));
  const z = r <= 5 ? ratio7(Q_C, Q_D, r - 1.6) : ratio7(Q_E, Q_F, r - 5);
  return q < 0 ? -z : z;
}
