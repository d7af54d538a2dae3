import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../../../errors/index.js';
import { Sha256, sha256Hex } from '../../../io/sha256.js';
import { textSha256 } from '../../text-sha256.js';

const utf8 = new TextEncoder();

/** SHA-256 over named tensors' dtype, shape and bytes, in the given order, after `topology`. */
async function tensorsDigest(entries: ReadonlyArray<readonly [string, tf.Tensor]>, topology: string): Promise<string> {
  const h = new Sha256().update(utf8.encode(`${topology}\n`));
  for (const [name, t] of entries) {
    // One weight at a time: memory stays at the largest weight, not the model.
    const data = await t.data();
    const digest = ArrayBuffer.isView(data)
      ? await sha256Hex(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      : textSha256(JSON.stringify(data));
    h.update(utf8.encode(`${name}\u0000${t.dtype}\u0000${t.shape.join(',')}\u0000${digest}\n`));
  }
  return h.hex();
}

interface LayersLike {
  readonly weights: ReadonlyArray<{ read(): tf.Tensor }>;
  readonly layers?: ReadonlyArray<{ getClassName(): string; getConfig(): Record<string, unknown> }>;
}

/** Layer classes and configs without their names, which tfjs numbers per process. */
function layersTopology(model: LayersLike): string {
  try {
    return JSON.stringify(
      (model.layers ?? []).map((l) => {
        const { name: _name, ...config } = l.getConfig();
        return [l.getClassName(), config];
      }),
    );
  } catch {
    return JSON.stringify((model.layers ?? []).map((l) => l.getClassName()));
  }
}

/** How often the weights may change under a hash before {@link tfjsWeightsKey} gives up. */
const HASH_ATTEMPTS = 3;

/**
 * A weights key that is recomputed only when the weights change. tfjs never changes a tensor's
 * values in place: `setWeights`, `Variable.assign` and optimizers give the tensor a new `dataId`
 * (a fresh object), so the same `dataId`s mean the same values.
 */
function memoOnWeightIdentity(named: () => Array<readonly [string, tf.Tensor]>, topology: () => string): () => Promise<string> {
  let memo: { ids: readonly object[]; key: Promise<string> } | undefined;
  const idsOf = (entries: ReadonlyArray<readonly [string, tf.Tensor]>) => entries.map(([, t]) => t.dataId as object);
  const same = (a: readonly object[], b: readonly object[]) => a.length === b.length && a.every((id, i) => id === b[i]);
  const hash = async (): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      const current = named();
      const before = idsOf(current);
      const key = await tensorsDigest(current, topology());
      // Weights replaced while they were read would mix two models in one key.
      if (same(before, idsOf(named()))) return key;
      if (attempt === HASH_ATTEMPTS) {
        throw new InvalidArgumentError(`the model's weights changed ${HASH_ATTEMPTS} times while dvme hashed them for the embedding cache; embed when they stay put.`);
      }
    }
  };
  return () => {
    const ids = idsOf(named());
    if (memo && same(memo.ids, ids)) return memo.key;
    const entry = { ids, key: hash() };
    memo = entry;
    // A failed hash (a disposed model) is not remembered: the next call tries again.
    entry.key.catch(() => {
      if (memo === entry) memo = undefined;
    });
    return entry.key;
  };
}

/**
 * @internal A weights key for a tfjs LayersModel (its weights in order, named by index, after
 * its layer configs) or GraphModel (its weight map by name), or `undefined` for anything else.
 * The weights are hashed on the first call and again whenever they have changed since
 * (`setWeights`, training). `topology` overrides what is hashed before the weights (a model
 * file's topology JSON).
 */
export function tfjsWeightsKey(model: unknown, topology?: string): (() => Promise<string>) | undefined {
  const weights = (model as { weights?: unknown } | null)?.weights;
  if (Array.isArray(weights) && weights.every((w) => typeof (w as { read?: unknown })?.read === 'function')) {
    const m = model as LayersLike;
    return memoOnWeightIdentity(
      () => m.weights.map((w, i) => [String(i), w.read()] as const),
      () => topology ?? layersTopology(m),
    );
  }
  if (typeof weights === 'object' && weights !== null && !Array.isArray(weights) && Object.values(weights).every(Array.isArray)) {
    const live = model as { weights: Record<string, tf.Tensor[]> };
    return memoOnWeightIdentity(
      () => {
        const map = live.weights;
        return Object.keys(map)
          .sort()
          .flatMap((name) => (map[name] ?? []).map((t, i) => [`${name}:${i}`, t] as const));
      },
      () => topology ?? 'graph',
    );
  }
  return undefined;
}
