import * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingMatrix } from '../data/embedding-matrix.js';
import { throwIfAborted } from '../errors/throw-if-aborted.js';
import { macrotask } from '../host/macrotask.js';
import { Sha256, sha256Hex, toHex } from '../io/sha256.js';
import type { EmbedOptions } from '../backbone/embed-options.js';
import type { BackboneFingerprint } from '../backbone/backbone-fingerprint.js';
import { resolveEmbeddingCache } from './embedding-cache.js';
import { isDecodedImage, toImageRuns, type ImageRuns } from '../image/image-runs.js';
import { isTensor, type DecodedImage, type ImageArray, type ImageInput, type ImagePixels } from '../image/images.js';

/** @internal What the cache needs from the backbone it serves. */
export interface CacheTarget {
  readonly dim: number;
  /** The backbone's fingerprint for this call's options. */
  fingerprint(): Promise<BackboneFingerprint>;
  /** The uncached `embed`, as an array. */
  embed(images: ImageInput, options: EmbedOptions): Promise<EmbeddingMatrix>;
}

/** Images as the cache sees them: one key per image, and a way to pick some of them. */
interface KeyedImages {
  readonly keys: Uint8Array[];
  /** Images `indices` (ascending) in the input's own form, and how to free that form. */
  subset(indices: readonly number[]): { images: ImageInput; dispose(): void };
  /** Says that images `indices` will not be asked for (found in the cache). */
  release?(indices: readonly number[]): void;
}

const utf8 = new TextEncoder();
const HASH_CONCURRENCY = 64;

/** A contiguous ascending range `[first, first + n)`, the common case of a first run. */
function contiguous(indices: readonly number[]): boolean {
  return indices.every((v, i) => v === (indices[0] as number) + i);
}

/**
 * Key of one image: SHA-256 of its pixel bytes, then of those with how the bytes are to be read
 * (input form and element type, which pick the engine's code path; size; pixel range).
 */
async function imageKeys(count: number, bytesOf: (i: number) => { bytes: Uint8Array; describe: string }): Promise<Uint8Array[]> {
  const keys = new Array<Uint8Array>(count);
  for (let start = 0; start < count; start += HASH_CONCURRENCY) {
    const end = Math.min(count, start + HASH_CONCURRENCY);
    await Promise.all(
      Array.from({ length: end - start }, async (_, j) => {
        const { bytes, describe } = bytesOf(start + j);
        const digest = await sha256Hex(bytes);
        keys[start + j] = new Sha256().update(utf8.encode(`dvme.image\u0000${describe}\u0000${digest}`)).digest();
      }),
    );
  }
  return keys;
}

const asBytes = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

async function keyTensor(images: tf.Tensor, range: string): Promise<KeyedImages> {
  const single = images.rank === 3;
  const [n, h, w, c] = single ? [1, ...images.shape] : images.shape;
  const per = (h as number) * (w as number) * (c as number);
  const values = (await images.data()) as Float32Array | Int32Array;
  const describe = `tensor:${images.dtype}\u0000${h}x${w}x${c}\u0000${range}`;
  const keys = await imageKeys(n as number, (i) => ({ bytes: asBytes(values.subarray(i * per, (i + 1) * per)), describe }));
  return {
    keys,
    subset: (idx) => {
      // All of them (always so for one HWC image): the input itself.
      if (idx.length === n) return { images, dispose: () => undefined };
      const picked = tf.tidy(() => (contiguous(idx) ? tf.slice(images, [idx[0] as number], [idx.length]) : tf.gather(images, idx as number[])));
      return { images: picked, dispose: () => picked.dispose() };
    },
  };
}

async function keyArray(images: ImageArray, range: string): Promise<KeyedImages> {
  const { data, shape } = images;
  const n = shape[0] as number;
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const describe = `array:${data.constructor.name}\u0000${shape.slice(1).join('x')}\u0000${range}`;
  const keys = await imageKeys(n, (i) => ({ bytes: asBytes(data.subarray(i * per, (i + 1) * per)), describe }));
  return {
    keys,
    subset: (idx) => {
      let picked: ImagePixels;
      if (contiguous(idx)) picked = data.subarray((idx[0] as number) * per, ((idx[0] as number) + idx.length) * per);
      else {
        const Ctor = data.constructor as new (length: number) => ImagePixels;
        picked = new Ctor(idx.length * per);
        idx.forEach((r, i) => picked.set(data.subarray(r * per, (r + 1) * per), i * per));
      }
      return { images: { data: picked, shape: [idx.length, ...shape.slice(1)] }, dispose: () => undefined };
    },
  };
}

/**
 * A list of images (or one image object): each read through its run when it is hashed (a few
 * at a time: platform images are decoded on read), picked by reference. A platform image
 * (`<video>`, a canvas) may show other pixels at every read, so the pixels hashed are kept, as
 * a decoded image, and those are what gets embedded; they are let go once the image is found in
 * the cache or embedded.
 */
async function keyList(images: ImageInput, runs: ImageRuns): Promise<KeyedImages> {
  const at = runs.runs.flatMap((run) => Array.from({ length: run.count }, (_, i) => [run, i] as const));
  const items: readonly unknown[] = Array.isArray(images) ? images : [images];
  const held = new Map<number, DecodedImage>();
  const keys = await imageKeys(runs.count, (i) => {
    const [run, j] = at[i] as (typeof at)[number];
    const { height, width, channels, range } = run.source;
    // Runs of a list always carry pixels; a tensor or array never reaches here.
    let pixels = run.pixels?.(j, j + 1) ?? new Uint8Array(0);
    if (!isDecodedImage(items[i] as object)) {
      // A copy: the platform may hand out a buffer it writes the next frame into.
      pixels = pixels.slice();
      held.set(i, { data: pixels, width, height, channels });
    }
    return { bytes: asBytes(pixels), describe: `list:${pixels.constructor.name}\u0000${height}x${width}x${channels}\u0000${range}` };
  });
  return {
    keys,
    subset: (idx) => {
      const picked = idx.map((i) => held.get(i) ?? items[i]);
      for (const i of idx) held.delete(i);
      return { images: (Array.isArray(images) ? picked : picked[0]) as ImageInput, dispose: () => undefined };
    },
    release: (idx) => {
      for (const i of idx) held.delete(i);
    },
  };
}

/** Validates the images as `embed` does (before any work), then keys them. */
async function keyImages(owner: string, images: ImageInput, range: EmbedOptions['range']): Promise<{ count: number; keyed: KeyedImages }> {
  const runs = toImageRuns(owner, images, range);
  const effective = runs.runs[0]?.source.range ?? '0-1';
  if (isTensor(images)) return { count: runs.count, keyed: await keyTensor(images, effective) };
  if (!Array.isArray(images) && typeof images === 'object' && images !== null && 'shape' in images) {
    return { count: runs.count, keyed: await keyArray(images as ImageArray, effective) };
  }
  return { count: runs.count, keyed: await keyList(images, runs) };
}

/**
 * @internal `Backbone.embed` through an {@link EmbeddingCache}: images found are copied from it,
 * the distinct missing ones are embedded a batch at a time by the uncached `embed` and stored
 * after every batch, and the rows come back in the input's order.
 */
export async function embedThroughCache(
  owner: string,
  images: ImageInput,
  options: EmbedOptions & { readonly batchSize: number; readonly as: 'tensor' | 'array' },
  target: CacheTarget,
): Promise<tf.Tensor2D | EmbeddingMatrix> {
  const { batchSize, as, signal, onProgress, onCacheLookup, cache: wanted, ...rest } = options;
  const cache = resolveEmbeddingCache(owner, wanted);
  const d = target.dim;
  const finish = (data: Float32Array, n: number) => (as === 'array' ? { data, shape: [n, d] as [number, number] } : tf.tensor2d(data, [n, d]));
  const embed = (subset: ImageInput) => target.embed(subset, { ...rest, batchSize, signal, as: 'array' });
  if (!cache) {
    const m = await target.embed(images, { ...rest, batchSize, signal, onProgress, as: 'array' });
    return finish(m.data, m.shape[0]);
  }
  throwIfAborted(signal, () => `${owner} was aborted before it started.`);
  const { count: n, keyed } = await keyImages(owner, images, options.range);
  if (n === 0) return finish(new Float32Array(0), 0);
  const fingerprint = await target.fingerprint();
  const found = await cache.lookup(fingerprint, d);
  const out = new Float32Array(n * d);
  const hex = keyed.keys.map(toHex);
  // Rows of each missing image, and the first row of each, in input order.
  const waiting = new Map<string, number[]>();
  const firsts: number[] = [];
  hex.forEach((k, i) => {
    const row = found.get(k);
    if (row) return out.set(row, i * d);
    const rows = waiting.get(k);
    if (rows) rows.push(i);
    else {
      waiting.set(k, [i]);
      firsts.push(i);
    }
  });
  keyed.release?.(hex.flatMap((k, i) => (waiting.get(k)?.[0] === i ? [] : [i])));
  let done = n - [...waiting.values()].reduce((s, r) => s + r.length, 0);
  cache.count(done, n - done);
  onCacheLookup?.({ fingerprint: fingerprint.key, images: n, hits: done, misses: n - done, toCompute: firsts.length, location: cache.location });
  if (done > 0) onProgress?.(done, n);
  for (let start = 0; start < firsts.length; start += batchSize) {
    if (start > 0) {
      await macrotask();
      throwIfAborted(signal, () => `${owner} was aborted after ${done} of ${n} images.`);
    }
    const idx = firsts.slice(start, start + batchSize);
    const picked = keyed.subset(idx);
    let values: Float32Array;
    try {
      values = (await embed(picked.images)).data;
    } finally {
      picked.dispose();
    }
    const keys = idx.map((i) => keyed.keys[i] as Uint8Array);
    await cache.add(fingerprint, d, keys, idx.map((i) => hex[i] as string), values);
    idx.forEach((first, j) => {
      for (const row of waiting.get(hex[first] as string) ?? []) out.set(values.subarray(j * d, (j + 1) * d), row * d);
      done += waiting.get(hex[first] as string)?.length ?? 0;
    });
    onProgress?.(done, n);
  }
  return finish(out, n);
}
