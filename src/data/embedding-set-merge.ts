import { InvalidArgumentError, ProvenanceMismatchError } from '../errors/index.js';
import type { EmbeddingSet, EmbeddingSetManifest } from './embedding-set.js';

/**
 * The rows shard `index` of `count` holds out of `total`: `[start, end)`, contiguous, the
 * first `total % count` shards one row longer. Every row is in exactly one shard, and joining
 * the shards in index order gives the rows in dataset order.
 *
 * @throws {@link InvalidArgumentError} unless `0 <= index < count` are integers and `total >= 0`.
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { shardRange } from 'dvme';
 * shardRange(10, 0, 3); // { start: 0, end: 4 }
 * shardRange(10, 2, 3); // { start: 7, end: 10 }
 * ```
 */
export function shardRange(total: number, index: number, count: number): { start: number; end: number } {
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count || !Number.isSafeInteger(total) || total < 0) {
    throw new InvalidArgumentError(
      `shardRange: shard ${index} of ${count} over ${total} rows is not valid; the index must be an integer in ` +
        '[0, count), the count an integer >= 1 and the total an integer >= 0 (e.g. --shard 0/4 for the first of four).',
    );
  }
  const base = Math.floor(total / count);
  const extra = total % count;
  const start = index * base + Math.min(index, extra);
  return { start, end: start + base + (index < extra ? 1 : 0) };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function mismatch(field: string, what: string, a: unknown, b: unknown, i: number): never {
  throw new ProvenanceMismatchError(
    `mergeEmbeddingSets: the sets disagree on ${what}: set 0 has ${JSON.stringify(a)}, set ${i} has ${JSON.stringify(b)}. ` +
      'Only shards of one dataset embedded by one backbone with the same options can be merged; re-run the odd shard ' +
      'with the same command as the others.',
    { field },
  );
}

/**
 * Joins the shards of one embedding run (`dvme embed --shard i/n`) into the set an unsharded
 * run writes: rows and embeddings in shard order, no `shard` field, `created` the latest of
 * the shards'.
 *
 * @param sets - every shard exactly once, in any order (a single unsharded set is returned as
 * it is).
 * @throws {@link ProvenanceMismatchError} when the shards' backbone (id, fingerprint, weights,
 * dim, preprocessing), dataset or dvme version differ, when a shard is missing, given twice or
 * of another count, or when their rows do not line up; {@link InvalidArgumentError} for no sets.
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { mergeEmbeddingSets, type EmbeddingSet } from 'dvme';
 * declare const shards: EmbeddingSet[]; // readEmbeddingSet('out/shard-0'), ...
 * const whole = mergeEmbeddingSets(shards);
 * ```
 */
export function mergeEmbeddingSets(sets: readonly EmbeddingSet[]): EmbeddingSet {
  if (sets.length === 0) throw new InvalidArgumentError('mergeEmbeddingSets: no sets were given; pass every shard of the run.');
  const first = sets[0]!.manifest;
  sets.forEach(({ manifest: m }, i) => {
    if (m.backbone.id !== first.backbone.id) mismatch('backbone.id', 'the backbone', first.backbone.id, m.backbone.id, i);
    if (m.backbone.fingerprint !== first.backbone.fingerprint) {
      mismatch('backbone.fingerprint', "the backbone's fingerprint (weights, preprocessing or engine)", first.backbone.fingerprint, m.backbone.fingerprint, i);
    }
    if (!same(m.backbone, first.backbone)) mismatch('backbone', 'the backbone details', first.backbone, m.backbone, i);
    // The same listing (sha256) read from another mount point is the same dataset.
    const key = (d: typeof m.dataset) => (d.sha256 !== undefined ? { ...d, source: undefined } : d);
    if (!same(key(m.dataset), key(first.dataset))) mismatch('dataset', 'the dataset', first.dataset, m.dataset, i);
    if (m.dvme !== first.dvme) mismatch('dvme', 'the dvme version', first.dvme, m.dvme, i);
  });
  if (sets.length === 1 && first.shard === undefined) return sets[0]!;
  const count = first.shard?.count;
  const byIndex = new Map<number, EmbeddingSet>();
  sets.forEach((set, i) => {
    const s = set.manifest.shard;
    if (s === undefined) {
      throw new ProvenanceMismatchError(
        `mergeEmbeddingSets: set ${i} is not a shard (its manifest has no shard field); merge only the outputs of --shard i/n runs.`,
        { field: 'shard' },
      );
    }
    if (s.count !== count) mismatch('shard.count', 'the number of shards', count, s.count, i);
    if (byIndex.has(s.index)) {
      throw new ProvenanceMismatchError(`mergeEmbeddingSets: shard ${s.index} of ${s.count} is given twice (sets ${[...byIndex.keys()].indexOf(s.index)} and ${i}); pass each shard once.`, { field: 'shard.index' });
    }
    byIndex.set(s.index, set);
  });
  const missing = Array.from({ length: count! }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new ProvenanceMismatchError(
      `mergeEmbeddingSets: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} ${missing.length > 1 ? 'are' : 'is'} missing; ` +
        'run them (dvme embed --shard <i>/<n>) and merge again with every shard.',
      { field: 'shard.index' },
    );
  }
  const ordered = Array.from({ length: count! }, (_, i) => byIndex.get(i)!);
  const expectedTotal = first.shard?.total;
  const total = ordered.reduce((s, set) => s + set.manifest.rows.length, 0);
  let at = 0;
  for (const { manifest: m } of ordered) {
    const s = m.shard!;
    // start and total count the dataset's images; each shard starts where shardRange puts it
    // (its length is not checked: a shard lists the images it skipped, and shard 0 also those
    // left out when the dataset was listed).
    const want = s.total !== undefined ? shardRange(s.total, s.index, s.count) : undefined;
    const wrongTotal = s.total !== expectedTotal;
    if (wrongTotal || (want && want.start !== s.start) || (s.start !== undefined && s.start < at)) {
      throw new ProvenanceMismatchError(
        `mergeEmbeddingSets: shard ${s.index} of ${s.count} starts at image ${s.start ?? '?'} of ${s.total ?? '?'}, but shard ${s.index} of ` +
          `${s.count} over ${expectedTotal ?? '?'} images starts at ${want?.start ?? at}. It comes from another run; run it again.`,
        { field: 'shard.start' },
      );
    }
    at = s.start ?? at;
  }
  const dim = first.backbone.dim;
  const data = new Float32Array(total * dim);
  let offset = 0;
  for (const set of ordered) {
    data.set(set.embeddings.data.subarray(0, set.manifest.rows.length * dim), offset);
    offset += set.manifest.rows.length * dim;
  }
  const created = ordered.map((s) => s.manifest.created).sort().at(-1)!;
  const { shard: _shard, ...rest } = first;
  const skipped = ordered.flatMap((s) => s.manifest.skipped ?? []);
  const { skipped: _skipped, ...kept } = rest;
  const manifest: EmbeddingSetManifest = { ...kept, rows: ordered.flatMap((s) => s.manifest.rows), ...(skipped.length > 0 ? { skipped } : {}), created };
  return { manifest, embeddings: { data, shape: [total, dim] } };
}
