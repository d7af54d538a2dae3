/**
 * @internal "Nice" axis ticks (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990):
 * steps of 1, 2, 2.5 or 5 times a power of ten, covering `[min, max]`.
 */
export interface Ticks {
  /** Tick values, ascending, rounded to the step's decimals (no 0.30000000000000004). */
  readonly values: readonly number[];
  /** The axis range the ticks span (it contains `[min, max]`). */
  readonly min: number;
  readonly max: number;
  /** Decimals needed to print every tick exactly. */
  readonly decimals: number;
}

const STEPS = [1, 2, 2.5, 5, 10];

/** @internal Ticks for `[min, max]` with about `count` intervals. Callers pass finite numbers. */
export function niceTicks(min: number, max: number, count = 5): Ticks {
  let lo = min;
  let hi = max;
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) {
    // A flat series still needs an axis: widen by 1 around the value (or +-10% of it).
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const multiple = STEPS.find((s) => s * magnitude >= raw) ?? 10;
  const step = multiple * magnitude;
  // 2.5 x 10^k needs one decimal more than 10^k does (0.25 against 0.1).
  const decimals = Math.max(0, -Math.round(Math.log10(magnitude)) + (multiple === 2.5 ? 1 : 0) - (multiple === 10 ? 1 : 0));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values: number[] = [];
  for (let i = first; i <= last; i++) values.push(Number((i * step).toFixed(decimals)));
  return { values, min: values[0] as number, max: values[values.length - 1] as number, decimals };
}

/** @internal Integer ticks for epochs 1..n style axes: nice steps, never fractional. */
export function integerTicks(min: number, max: number, count = 6): Ticks {
  const t = niceTicks(min, max, count);
  const step = Math.max(1, Math.round((t.values[1] ?? 1) - (t.values[0] ?? 0)));
  const values: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max; v += step) if (v >= min) values.push(v);
  if (values.length === 0) values.push(min);
  return { values, min, max, decimals: 0 };
}
