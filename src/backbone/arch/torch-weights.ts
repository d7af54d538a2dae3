import type { TorchTensor } from './load-weights.js';
import { CheckpointFormatError } from '../../errors/index.js';

/**
 * @internal A PyTorch state dict as the graph builders read it: keys without prefix
 * (`layer1.0.conv1.weight`, `blocks.3.attn.qkv.bias`), float32 values in PyTorch's layout.
 */
export type TorchStateDict = ReadonlyMap<string, TorchTensor>;

/**
 * @internal The weight under `key`, checked against `shape` (`-1` accepts any size), or a
 * {@link CheckpointFormatError} naming the key and what was expected.
 */
export function requireWeight(owner: string, state: TorchStateDict, key: string, shape: readonly number[]): TorchTensor {
  const t = state.get(key);
  if (t === undefined) {
    throw new CheckpointFormatError(
      `${owner}: the state dict has no '${key}' (expected shape [${shape.join(', ')}]). ` +
        'Pass the backbone weights with PyTorch key names, heads and prefixes removed (as Backbone.fromCheckpoint finds them).',
    );
  }
  const fits = t.shape.length === shape.length && shape.every((d, i) => d === -1 || d === t.shape[i]);
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (!fits || t.data.length !== count) {
    throw new CheckpointFormatError(
      `${owner}: '${key}' has shape [${t.shape.join(', ')}] (${t.data.length} values); expected [${shape
        .map((d) => (d === -1 ? '*' : d))
        .join(', ')}]. Is the architecture config the one the checkpoint was trained with?`,
    );
  }
  return t;
}

/** @internal `[rows, cols]` row-major to `[cols, rows]`: PyTorch's Linear `(out, in)` to MatMul's `(in, out)`. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[from + c];
  }
  return out;
}

/** Calls `f(oihw, hwio)` with the flat index of every element of an `[o, i, h, w]` weight in both layouts. */
function forEachConvIndex([outC, inC, kh, kw]: readonly number[], f: (oihw: number, hwio: number) => void): void {
  for (let o = 0; o < outC; o++) {
    for (let i = 0; i < inC; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) f(((o * inC + i) * kh + y) * kw + x, ((y * kw + x) * inC + i) * outC + o);
      }
    }
  }
}

/** @internal A PyTorch convolution weight `[o, i, h, w]` (OIHW) in tfjs' HWIO layout. */
export function oihwToHwio(data: Float32Array, shape: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  forEachConvIndex(shape, (oihw, hwio) => (out[hwio] = data[oihw]));
  return out;
}

/** @internal A tfjs convolution kernel `[h, w, i, o]` (HWIO) in PyTorch's OIHW layout. */
export function hwioToOihw(data: Float32Array, [kh, kw, inC, outC]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  forEachConvIndex([outC, inC, kh, kw], (oihw, hwio) => (out[oihw] = data[hwio]));
  return out;
}
