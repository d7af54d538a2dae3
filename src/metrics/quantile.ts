/**
 * @internal The `q`-quantile of an ascending sorted, non-empty sample, interpolated exactly as
 * numpy's default (`np.quantile(x, q, method='linear')`, type 7 of Hyndman & Fan 1996): the
 * virtual index is `(n - 1) * q`, and the two neighbours are blended with numpy's `_lerp`,
 * which interpolates from the nearer end so results match numpy bit for bit.
 *
 * @remarks Since 0.1.0. Hyndman & Fan, "Sample quantiles in statistical packages", The American
 * Statistician 50(4) (1996) 361-365.
 * @example
 * ```ts
 * quantileSorted(Float64Array.of(1, 2, 3, 4), 0.5); // 2.5
 * ```
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  if (h <= 0) return sorted[0];
  if (h >= n - 1) return sorted[n - 1];
  const lo = Math.floor(h);
  const t = h - lo;
  const a = sorted[lo];
  const b = sorted[lo + 1];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}
