/**
 * Weights given by a formula of the key name and flat index, exact in float32 on both sides:
 * the TypeScript twin of scripts/fixtures/finetune_parity.py's `formula`, so that the parity
 * fixtures need no committed state dict.
 */
import type { TorchTensor } from '../../../src/backbone/arch/load-weights.js';

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** `n` values in (0, 1) from a 32-bit integer hash of (key, index). */
export function formulaUniform(key: string, n: number): Float64Array {
  const h = fnv1a(key);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = (Math.imul(i + 1, 2654435761) + h) >>> 0;
    for (let r = 0; r < 2; r++) {
      x = (x ^ (x >>> 16)) >>> 0;
      x = Math.imul(x, 0x45d9f3b) >>> 0;
    }
    x = (x ^ (x >>> 16)) >>> 0;
    out[i] = (x + 0.5) / 4294967296;
  }
  return out;
}

/** Factors by key suffix: a key ending in a suffix has its formula value scaled (in float64, before the rounding to float32). */
export type FormulaGains = Readonly<Record<string, number>>;

/** The float32 value of a weight (or input, key `input.<s>`) of PyTorch shape `shape`, by kind. */
export function formulaTensor(key: string, shape: readonly number[], gains: FormulaGains = {}): TorchTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = formulaUniform(key, n);
  const data = new Float32Array(n);
  const scale = Math.sqrt(6 / (n / shape[0]));
  const gain = Object.entries(gains).find(([suffix]) => key.endsWith(suffix))?.[1];
  for (let i = 0; i < n; i++) {
    let v: number;
    if (key.endsWith('running_var') || (shape.length === 1 && key.endsWith('.weight'))) v = 0.5 + u[i];
    else if (key.endsWith('running_mean') || key.endsWith('.bias') || key === 'cls_token' || key === 'pos_embed') v = (u[i] - 0.5) * 0.4;
    else if (key.startsWith('input')) v = (2 * u[i] - 1) * 2;
    else v = (2 * u[i] - 1) * scale;
    data[i] = gain === undefined ? v : v * gain;
  }
  return { shape: [...shape], data };
}

/** A formula state dict for every `{ key, shape }`. */
export function formulaState(spec: ReadonlyArray<{ key: string; shape: readonly number[] }>, gains: FormulaGains = {}): Map<string, TorchTensor> {
  return new Map(spec.map(({ key, shape }) => [key, formulaTensor(key, shape, gains)]));
}

/** NCHW `[b, c, h, w]` data as NHWC. */
export function nchwToNhwc(data: Float32Array, [b, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let n = 0; n < b; n++) for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[(n * h * w + p) * c + k] = data[(n * c + k) * h * w + p];
  return out;
}
