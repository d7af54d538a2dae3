import { InvalidArgumentError } from '../errors/index.js';

/**
 * How high-bit-depth values (16-bit PNG samples, DICOM modality values such as Hounsfield units)
 * are mapped to the 0-1 range a backbone reads.
 *
 * - `{ center, width }`: a DICOM linear VOI window in the values' own units.
 * - `'file'`: the DICOM file's first Window Center / Width; `'minmax'` where it has none
 *   (and for PNG, which has no window).
 * - `'minmax'`: each image's own lowest value to 0, highest to 1.
 * - `'full'`: the whole range of the stored type (0-65535 for 16-bit PNG): `v / 65535`.
 *
 * @remarks Since 0.1.0.
 * @defaultValue `'file'`
 * @example
 * ```ts
 * import type { IntensityWindow } from 'dvme';
 * const lung: IntensityWindow = { center: -600, width: 1500 }; // CT lung window, in HU
 * ```
 */
export type IntensityWindow = 'file' | 'minmax' | 'full' | { readonly center: number; readonly width: number };

/** @internal Checks a window option; returns it unchanged. */
export function checkWindow(owner: string, window: unknown): IntensityWindow {
  if (window === 'file' || window === 'minmax' || window === 'full') return window;
  if (typeof window === 'object' && window !== null) {
    const { center, width } = window as { center?: unknown; width?: unknown };
    if (typeof center === 'number' && Number.isFinite(center) && typeof width === 'number' && Number.isFinite(width) && width >= 1) {
      return { center, width };
    }
  }
  throw new InvalidArgumentError(
    `${owner}: window must be 'file', 'minmax', 'full' or { center, width } with finite numbers and width >= 1; ` +
      `received ${JSON.stringify(window)}. E.g. { center: 40, width: 400 } for a CT soft-tissue window.`,
  );
}

/** @internal The lowest and highest of `values` (0 and 1 for an empty array). */
export function valueRange(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return values.length === 0 ? { min: 0, max: 1 } : { min, max };
}

/**
 * Maps values through a linear window to 0-1, as the DICOM standard's linear VOI LUT function
 * (PS3.3 C.11.2.1.2.1) with output range 0-1: values at or below `c - 0.5 - (w - 1) / 2` give 0,
 * those above `c - 0.5 + (w - 1) / 2` give 1, and in between
 * `((v - (c - 0.5)) / (w - 1) + 0.5)`. With `invert` (MONOCHROME1), `1 - y`.
 *
 * @param values - the values (16-bit samples or modality values).
 * @param window - `{ center, width }`, `'minmax'` (the values' own range), or `'full'` with
 * `fullRange` (the stored type's range); `'file'` is resolved by the caller.
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { applyWindow } from 'dvme';
 * applyWindow(Float32Array.of(-1000, 40, 1000), { center: 40, width: 400 }); // Float32Array [0, 0.50125..., 1]
 * ```
 */
export function applyWindow(
  values: ArrayLike<number>,
  window: Exclude<IntensityWindow, 'file'>,
  options: { readonly invert?: boolean; readonly fullRange?: readonly [number, number] } = {},
): Float32Array {
  const w = checkWindow('applyWindow', window) as Exclude<IntensityWindow, 'file'>;
  const out = new Float32Array(values.length);
  const invert = options.invert === true;
  if (typeof w === 'object') {
    const lo = w.center - 0.5 - (w.width - 1) / 2;
    const hi = w.center - 0.5 + (w.width - 1) / 2;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      const y = v <= lo ? 0 : v > hi ? 1 : w.width === 1 ? 1 : (v - (w.center - 0.5)) / (w.width - 1) + 0.5;
      out[i] = invert ? 1 - y : y;
    }
    return out;
  }
  const { min, max } = w === 'full' ? { min: options.fullRange?.[0] ?? 0, max: options.fullRange?.[1] ?? 65535 } : valueRange(values);
  const span = max - min;
  for (let i = 0; i < values.length; i++) {
    const y = span > 0 ? Math.min(1, Math.max(0, ((values[i] as number) - min) / span)) : 0;
    out[i] = invert ? 1 - y : y;
  }
  return out;
}
