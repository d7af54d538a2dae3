/** @internal Arithmetic mean; `NaN` for no values or when any value is `NaN`. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * @internal Sample standard deviation with the n - 1 denominator (pandas' `std()`, numpy's
 * `std(ddof=1)`): the paper does not say which it reports, and over 5 runs the unbiased
 * variance is the usual choice. `NaN` for fewer than two values.
 */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}
