import * as tf from '@tensorflow/tfjs-core';
import { heapBackend } from '../wasm/tfjs-heap.js';

/**
 * @internal The most tokens {@link fewTokenAttention} takes: its op count grows as tokens
 * squared, the transposes it avoids only linearly.
 */
export const FEW_TOKENS = 8;

/**
 * @internal Multi-head self-attention over a few wide tokens (DVME's source tokens) without
 * a transpose: the same values as timm's head split (`reshape(B, N, 3, H, hd).permute(2, 0, 3,
 * 1, 4)`), `softmax(q k^T * scale) v` and head merge, to float32 rounding.
 *
 * Why: tfjs-wasm runs the 5-D and 4-D transposes of the head split and merge (and their
 * gradients) on a generic loop that costs more than the rest of the attention together. Here
 * each token's q, k, v is a column slice of the qkv rows, `[batch, heads, headDim]` by a free
 * reshape; a score is a product summed over the innermost axis, the softmax runs over the
 * innermost axis of the stacked scores, and each output token is a weighted sum of the v's;
 * the tokens' outputs, side by side, are already the merged layout.
 *
 * @param qkv - `[batch, tokens * 3 * tokenDim]`: per token its q, k, v, each `heads x headDim`.
 * @returns `[batch, tokens * tokenDim]`, per token its heads side by side.
 */
export function fewTokenAttention(qkv: tf.Tensor2D, tokens: number, heads: number, scale: number): tf.Tensor2D {
  const b = qkv.shape[0];
  const d = qkv.shape[1] / (3 * tokens);
  const hd = d / heads;
  const parts = Array.from({ length: 3 * tokens }, (_, t) => tf.reshape(columns(qkv, t * d, d), [b, heads, hd]) as tf.Tensor3D);
  const at = (i: number, s: 0 | 1 | 2): tf.Tensor3D => parts[3 * i + s];
  const outputs: tf.Tensor2D[] = [];
  for (let i = 0; i < tokens; i++) {
    // As the blocked path: q scaled first (timm scales the product; equal for power-of-two head widths).
    const q = tf.mul(at(i, 0), scale);
    const scores = Array.from({ length: tokens }, (_, j) => tf.sum(tf.mul(q, at(j, 1)), -1, true));
    const p = tf.softmax(tokens === 1 ? scores[0] : tf.concat(scores, 2)) as tf.Tensor3D;
    const weights = tokens === 1 ? [p] : tf.split(p, tokens, 2);
    const mixed = weights.map((w, j) => tf.mul(w, at(j, 2)));
    outputs.push(tf.reshape(mixed.length === 1 ? mixed[0] : tf.addN(mixed), [b, d]) as tf.Tensor2D);
  }
  return outputs.length === 1 ? outputs[0] : (tf.concat(outputs, 1) as tf.Tensor2D);
}

/**
 * Columns `[start, start + width)` of `x`. On the wasm backend the rows are copied from a view
 * of its heap: its `slice` (and `split`) copies the whole input per call first, 28 ms against
 * 1 ms for the nine blocks of a batch of 64 source-token qkv rows. The gradient pads `dy`
 * back to `x`'s width, as `slice`'s does.
 */
function columns(x: tf.Tensor2D, start: number, width: number): tf.Tensor2D {
  const heap = heapBackend();
  if (!heap || x.dtype !== 'float32') return tf.slice(x, [0, start], [-1, width]);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const a = args[0] as tf.Tensor2D;
    const [rows, cols] = a.shape;
    const info = heap.makeOutput([rows, width], 'float32');
    const [src, dst] = [heap.typedArrayFromHeap(a), heap.typedArrayFromHeap(info)];
    for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols + start, r * cols + start + width), r * width);
    return {
      value: tf.engine().makeTensorFromTensorInfo(info),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.pad(dy as tf.Tensor2D, [[0, 0], [start, cols - start - width]]),
    };
  });
  return op(x) as tf.Tensor2D;
}
