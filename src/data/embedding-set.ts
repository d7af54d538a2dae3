import { EmbeddingSetFormatError } from '../errors/index.js';
import { describe } from '../validation/describe.js';
import type { EmbeddingMatrix } from './embedding-matrix.js';
import { encodeNpy, parseNpy } from './npy.js';

/**
 * The split a row of an embedding set belongs to.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbeddingSetSplit } from 'dvme';
 * const split: EmbeddingSetSplit = 'train';
 * ```
 */
export type EmbeddingSetSplit = 'train' | 'val' | 'test';

/**
 * One row of an embedding set: which image it is, and what the dataset says of it.
 *
 * @remarks Since 0.1.0. `id` is the image's path relative to the dataset (folder and CSV
 * datasets) or `<split>/<index>` (`.npz`); `label` is a class index, or a 0/1 vector for
 * multi-label tasks.
 * @example
 * ```ts
 * import type { EmbeddingSetRow } from 'dvme';
 * const row: EmbeddingSetRow = { id: 'grade2/img_0007.png', split: 'train', label: 2 };
 * ```
 */
export interface EmbeddingSetRow {
  readonly id: string;
  readonly split?: EmbeddingSetSplit;
  readonly label?: number | readonly number[];
}

/**
 * Which backbone computed an embedding set, and how.
 *
 * @remarks Since 0.1.0. `fingerprint` is the embedding cache's key of the backbone and its
 * options (weights, preprocessing, engine, dvme version): two sets with the same fingerprint
 * hold comparable embeddings.
 * @example
 * ```ts
 * import type { EmbeddingSetBackbone } from 'dvme';
 * const b: EmbeddingSetBackbone = { id: 'mobilenet', fingerprint: 'ab12…', dim: 1280, preprocessing: { inputSize: 224 } };
 * ```
 */
export interface EmbeddingSetBackbone {
  readonly id: string;
  readonly fingerprint: string;
  readonly weightsSha256?: string;
  readonly dim: number;
  readonly preprocessing: Readonly<Record<string, unknown>>;
}

/**
 * The dataset an embedding set was computed from.
 *
 * @remarks Since 0.1.0. `source` is where it came from (a folder, a CSV or `.npz` path);
 * `sha256` covers the dataset's list of images and labels (not the pixels) so shards of one
 * dataset can be recognised; `classes` names the labels in index order.
 * @example
 * ```ts
 * import type { EmbeddingSetDataset } from 'dvme';
 * const d: EmbeddingSetDataset = { source: 'retina/', task: 'multiclass', classes: ['0', '1', '2', '3', '4'] };
 * ```
 */
export interface EmbeddingSetDataset {
  readonly source: string;
  readonly sha256?: string;
  readonly task?: 'binary' | 'multiclass' | 'multilabel';
  readonly classes?: readonly string[];
}

/**
 * The part of a dataset a shard of an embedding set holds: shard `index` (from 0) of `count`,
 * rows `start` to `start + rows.length` of `total`.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { EmbeddingSetShard } from 'dvme';
 * const shard: EmbeddingSetShard = { index: 0, count: 4, start: 0, total: 1600 };
 * ```
 */
export interface EmbeddingSetShard {
  readonly index: number;
  readonly count: number;
  readonly start?: number;
  readonly total?: number;
}

/**
 * `manifest.json` of an embedding set: provenance, and one row per line of `embeddings.npy`.
 *
 * @remarks Since 0.1.0. `created` is an ISO 8601 time (from `SOURCE_DATE_EPOCH` when set, for
 * reproducible outputs).
 * @example
 * ```ts
 * import type { EmbeddingSetManifest } from 'dvme';
 * const m: EmbeddingSetManifest = {
 *   kind: 'dvme-embedding-set', version: 1, dvme: '0.1.0',
 *   backbone: { id: 'pixels', fingerprint: '00', dim: 2, preprocessing: {} },
 *   dataset: { source: 'toy' }, rows: [{ id: 'a.png' }], created: '2026-01-01T00:00:00.000Z',
 * };
 * ```
 */
export interface EmbeddingSetManifest {
  readonly kind: 'dvme-embedding-set';
  readonly version: 1;
  readonly dvme: string;
  readonly backbone: EmbeddingSetBackbone;
  readonly dataset: EmbeddingSetDataset;
  readonly rows: readonly EmbeddingSetRow[];
  readonly shard?: EmbeddingSetShard;
  /** Images of the dataset left out (unreadable, or a label not among the classes), and why. */
  readonly skipped?: readonly { readonly id: string; readonly reason: string }[];
  readonly created: string;
}

/**
 * An embedding set in memory: the manifest and the `[rows, dim]` float32 embeddings.
 *
 * @remarks Since 0.1.0. On disk it is a folder with `manifest.json` and `embeddings.npy`
 * (`readEmbeddingSet` / `writeEmbeddingSet` in `dvme/node`; {@link encodeEmbeddingSet} and
 * {@link decodeEmbeddingSet} elsewhere).
 * @example
 * ```ts
 * import type { EmbeddingSet } from 'dvme';
 * declare const set: EmbeddingSet;
 * set.embeddings.shape; // [set.manifest.rows.length, set.manifest.backbone.dim]
 * ```
 */
export interface EmbeddingSet {
  readonly manifest: EmbeddingSetManifest;
  readonly embeddings: EmbeddingMatrix;
}

/** Names of the two files of an embedding set folder. */
export const EMBEDDING_SET_FILES = { manifest: 'manifest.json', embeddings: 'embeddings.npy' } as const;

const FIX = 'Write the set again with dvme embed (or writeEmbeddingSet), or fix manifest.json by hand.';

function bad(field: string, value: unknown, allowed: string): never {
  throw new EmbeddingSetFormatError(
    `Invalid embedding-set manifest: ${field} is ${describe(value)}; it must be ${allowed}. ${FIX}`,
    { field },
  );
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function obj(field: string, v: unknown): Obj {
  return isObj(v) ? v : bad(field, v, 'an object');
}
function str(field: string, v: unknown): string {
  return typeof v === 'string' && v.length > 0 ? v : bad(field, v, 'a non-empty string');
}
function int(field: string, v: unknown, min: number): number {
  return Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : bad(field, v, `an integer >= ${min}`);
}
const opt = <T>(o: Obj, key: string, read: (v: unknown) => T): { [k: string]: T } =>
  o[key] === undefined ? {} : { [key]: read(o[key]) };

function parseRow(i: number, v: unknown): EmbeddingSetRow {
  const f = `rows[${i}]`;
  const r = obj(f, v);
  const row: { id: string; split?: EmbeddingSetSplit; label?: number | number[] } = { id: str(`${f}.id`, r.id) };
  if (r.split !== undefined) {
    if (r.split !== 'train' && r.split !== 'val' && r.split !== 'test') bad(`${f}.split`, r.split, "'train', 'val' or 'test'");
    row.split = r.split;
  }
  if (r.label !== undefined) {
    const l = r.label;
    if (typeof l === 'number' && Number.isFinite(l)) row.label = l;
    else if (Array.isArray(l) && l.every((x) => typeof x === 'number' && Number.isFinite(x))) row.label = [...(l as number[])];
    else bad(`${f}.label`, l, 'a finite number or an array of them');
  }
  return row;
}

/**
 * Checks a parsed `manifest.json` and returns it as an {@link EmbeddingSetManifest}, with its
 * keys in the canonical order (so writing it again gives the same bytes).
 *
 * @param value - the result of `JSON.parse` on the file.
 * @throws {@link EmbeddingSetFormatError} naming the first field that is missing or wrong.
 * @remarks Since 0.1.0. Unknown keys are dropped; a later version is refused.
 * @example
 * ```ts
 * import { parseEmbeddingSetManifest } from 'dvme';
 * declare const text: string; // manifest.json
 * const manifest = parseEmbeddingSetManifest(JSON.parse(text));
 * manifest.rows.length;
 * ```
 */
export function parseEmbeddingSetManifest(value: unknown): EmbeddingSetManifest {
  const m = obj('manifest', value);
  if (m.kind !== 'dvme-embedding-set') bad('kind', m.kind, "'dvme-embedding-set'");
  if (m.version !== 1) bad('version', m.version, '1 (this dvme reads version 1; upgrade dvme for later ones)');
  const b = obj('backbone', m.backbone);
  const backbone: EmbeddingSetBackbone = {
    id: str('backbone.id', b.id),
    fingerprint: str('backbone.fingerprint', b.fingerprint),
    ...opt(b, 'weightsSha256', (v) => str('backbone.weightsSha256', v)),
    dim: int('backbone.dim', b.dim, 1),
    preprocessing: obj('backbone.preprocessing', b.preprocessing),
  };
  const d = obj('dataset', m.dataset);
  const dataset: EmbeddingSetDataset = {
    source: str('dataset.source', d.source),
    ...opt(d, 'sha256', (v) => str('dataset.sha256', v)),
    ...opt(d, 'task', (v) =>
      v === 'binary' || v === 'multiclass' || v === 'multilabel' ? v : bad('dataset.task', v, "'binary', 'multiclass' or 'multilabel'"),
    ),
    ...opt(d, 'classes', (v) =>
      Array.isArray(v) ? v.map((c, i) => str(`dataset.classes[${i}]`, c)) : bad('dataset.classes', v, 'an array of strings'),
    ),
  };
  if (!Array.isArray(m.rows)) bad('rows', m.rows, 'an array of { id, split?, label? }');
  const rows = m.rows.map((r, i) => parseRow(i, r));
  let shard: EmbeddingSetShard | undefined;
  if (m.shard !== undefined) {
    const s = obj('shard', m.shard);
    const count = int('shard.count', s.count, 1);
    const index = int('shard.index', s.index, 0);
    if (index >= count) bad('shard.index', index, `below shard.count (${count})`);
    shard = { index, count, ...opt(s, 'start', (v) => int('shard.start', v, 0)), ...opt(s, 'total', (v) => int('shard.total', v, 0)) };
  }
  let skipped: { id: string; reason: string }[] | undefined;
  if (m.skipped !== undefined) {
    if (!Array.isArray(m.skipped)) bad('skipped', m.skipped, 'an array of { id, reason }');
    skipped = m.skipped.map((v, i) => {
      const o = obj(`skipped[${i}]`, v);
      return { id: str(`skipped[${i}].id`, o.id), reason: str(`skipped[${i}].reason`, o.reason) };
    });
  }
  const created = str('created', m.created);
  return {
    kind: 'dvme-embedding-set',
    version: 1,
    dvme: str('dvme', m.dvme),
    backbone,
    dataset,
    rows,
    ...(shard ? { shard } : {}),
    ...(skipped ? { skipped } : {}),
    created,
  };
}

/** Throws unless the embeddings have one row per manifest row and the backbone's width. */
function checkShape(manifest: EmbeddingSetManifest, embeddings: EmbeddingMatrix): void {
  const [n, d] = embeddings.shape;
  if (n !== manifest.rows.length || d !== manifest.backbone.dim || embeddings.data.length !== n * d) {
    throw new EmbeddingSetFormatError(
      `Embedding set: embeddings.npy is [${n}, ${d}] but manifest.json lists ${manifest.rows.length} rows of ` +
        `dimension ${manifest.backbone.dim}; they must match. The two files come from different runs or one ` +
        `was cut short. ${FIX}`,
      { field: 'rows' },
    );
  }
}

/**
 * The two files of an embedding set, as written to its folder: `manifest.json` text (canonical
 * key order, one-space indent, final newline) and `embeddings.npy` bytes (float32, C order).
 *
 * @throws {@link EmbeddingSetFormatError} when the manifest is invalid or does not match the
 * embeddings' shape.
 * @remarks Since 0.1.0. The same set always gives the same bytes.
 * @example
 * ```ts
 * import { encodeEmbeddingSet, type EmbeddingSet } from 'dvme';
 * declare const set: EmbeddingSet;
 * const { manifest, embeddings } = encodeEmbeddingSet(set); // string, Uint8Array
 * ```
 */
export function encodeEmbeddingSet(set: EmbeddingSet): { manifest: string; embeddings: Uint8Array } {
  const manifest = parseEmbeddingSetManifest(set.manifest);
  checkShape(manifest, set.embeddings);
  return {
    manifest: `${JSON.stringify(manifest, null, 1)}\n`,
    embeddings: encodeNpy({ data: set.embeddings.data, shape: set.embeddings.shape, dtype: 'float32' }),
  };
}

/**
 * An embedding set from its two files' contents.
 *
 * @param files - `manifest.json` as text (or already parsed), `embeddings.npy` as bytes.
 * @throws {@link EmbeddingSetFormatError} for a bad manifest, a non-float32 or non-2-D array,
 * or a shape that does not match the manifest; `CheckpointFormatError` for a damaged `.npy`.
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { decodeEmbeddingSet } from 'dvme';
 * declare const manifestText: string, npyBytes: Uint8Array;
 * const set = decodeEmbeddingSet({ manifest: manifestText, embeddings: npyBytes });
 * ```
 */
export function decodeEmbeddingSet(files: { manifest: string | object; embeddings: Uint8Array }): EmbeddingSet {
  let json: unknown = files.manifest;
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (e) {
      throw new EmbeddingSetFormatError(`Embedding set: manifest.json is not valid JSON (${(e as Error).message}). ${FIX}`, { cause: e });
    }
  }
  const manifest = parseEmbeddingSetManifest(json);
  const a = parseNpy(files.embeddings);
  if (!(a.data instanceof Float32Array) || a.dtype !== 'float32' || a.shape.length !== 2) {
    throw new EmbeddingSetFormatError(
      `Embedding set: embeddings.npy holds ${a.dtype} of shape [${a.shape.join(', ')}]; it must be a 2-D float32 array. ${FIX}`,
      { field: 'embeddings' },
    );
  }
  const embeddings: EmbeddingMatrix = { data: a.data, shape: [a.shape[0] as number, a.shape[1] as number] };
  checkShape(manifest, embeddings);
  return { manifest, embeddings };
}
