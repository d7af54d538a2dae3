import { describe, expect, it } from 'vitest';
import { EmbeddingSetFormatError, ProvenanceMismatchError, InvalidArgumentError } from '../../../src/errors/index.js';
import {
  decodeEmbeddingSet,
  encodeEmbeddingSet,
  parseEmbeddingSetManifest,
  type EmbeddingSet,
  type EmbeddingSetManifest,
} from '../../../src/data/embedding-set.js';
import { mergeEmbeddingSets, shardRange } from '../../../src/data/embedding-set-merge.js';

const manifest = (rows: number, extra: Partial<EmbeddingSetManifest> = {}): EmbeddingSetManifest => ({
  kind: 'dvme-embedding-set',
  version: 1,
  dvme: '0.1.0',
  backbone: { id: 'toy', fingerprint: 'f'.repeat(64), dim: 2, preprocessing: { inputSize: 28 } },
  dataset: { source: 'toy/', task: 'multiclass', classes: ['a', 'b'] },
  rows: Array.from({ length: rows }, (_, i) => ({ id: `img${i}.png`, split: 'train' as const, label: i % 2 })),
  created: '2026-01-01T00:00:00.000Z',
  ...extra,
});
const set = (rows: number, extra: Partial<EmbeddingSetManifest> = {}, from = 0): EmbeddingSet => ({
  manifest: manifest(rows, extra),
  embeddings: { data: Float32Array.from({ length: rows * 2 }, (_, i) => from * 2 + i), shape: [rows, 2] },
});

describe('embedding set format', () => {
  it('round-trips through its two files, with the same bytes when written again', () => {
    const s = set(3, { shard: { index: 0, count: 1, start: 0, total: 3 } });
    const files = encodeEmbeddingSet(s);
    const back = decodeEmbeddingSet(files);
    expect(back.manifest).toEqual(s.manifest);
    expect([...back.embeddings.data]).toEqual([0, 1, 2, 3, 4, 5]);
    const again = encodeEmbeddingSet(back);
    expect(again.manifest).toBe(files.manifest);
    expect(Buffer.from(again.embeddings).equals(Buffer.from(files.embeddings))).toBe(true);
    // The .npy is what numpy.save writes for float32 [3, 2]: header dict, then 24 bytes.
    expect(new TextDecoder('latin1').decode(files.embeddings.subarray(10, 70))).toContain("'descr': '<f4', 'fortran_order': False, 'shape': (3, 2)");
    expect(files.embeddings.length % 64).toBe(24 % 64);
  });

  it.each([
    [{ kind: 'x' }, 'kind'],
    [{ version: 2 }, 'version'],
    [{ backbone: { id: 'toy', fingerprint: 'f', dim: 0, preprocessing: {} } }, 'backbone.dim'],
    [{ dataset: { source: '' } }, 'dataset.source'],
    [{ dataset: { source: 's', task: 'regression' } }, 'dataset.task'],
    [{ rows: [{ id: 'a', split: 'training' }] }, 'rows[0].split'],
    [{ rows: [{ id: 'a', label: 'cat' }] }, 'rows[0].label'],
    [{ rows: [{ split: 'train' }] }, 'rows[0].id'],
    [{ shard: { index: 4, count: 4 } }, 'shard.index'],
    [{ created: undefined }, 'created'],
  ])('refuses %j naming the field %s', (patch, field) => {
    const bad = { ...manifest(1), ...patch };
    try {
      parseEmbeddingSetManifest(bad);
      expect.unreachable();
    } catch (e) {
      expect(EmbeddingSetFormatError.is(e)).toBe(true);
      expect((e as EmbeddingSetFormatError).field).toBe(field);
    }
  });

  it('refuses embeddings whose shape differs from the manifest, and non-JSON manifests', () => {
    const s = set(3);
    const files = encodeEmbeddingSet(s);
    expect(() => decodeEmbeddingSet({ manifest: JSON.stringify(manifest(4)), embeddings: files.embeddings })).toThrow(/\[3, 2\].*4 rows/);
    expect(() => decodeEmbeddingSet({ manifest: '{', embeddings: files.embeddings })).toThrow(EmbeddingSetFormatError);
    expect(() => encodeEmbeddingSet({ manifest: manifest(2), embeddings: s.embeddings })).toThrow(EmbeddingSetFormatError);
  });
});

describe('shardRange', () => {
  it('covers every row once, in order, with sizes differing by at most one (hand-checked cases)', () => {
    expect([0, 1, 2].map((i) => shardRange(10, i, 3))).toEqual([{ start: 0, end: 4 }, { start: 4, end: 7 }, { start: 7, end: 10 }]);
    expect([0, 1, 2, 3].map((i) => shardRange(2, i, 4))).toEqual([{ start: 0, end: 1 }, { start: 1, end: 2 }, { start: 2, end: 2 }, { start: 2, end: 2 }]);
    for (let total = 0; total < 30; total++) {
      for (let count = 1; count < 8; count++) {
        let at = 0;
        for (let i = 0; i < count; i++) {
          const r = shardRange(total, i, count);
          expect(r.start).toBe(at);
          expect(r.end - r.start).toBeGreaterThanOrEqual(Math.floor(total / count));
          expect(r.end - r.start).toBeLessThanOrEqual(Math.ceil(total / count));
          at = r.end;
        }
        expect(at).toBe(total);
      }
    }
    expect(() => shardRange(10, 3, 3)).toThrow(InvalidArgumentError);
    expect(() => shardRange(10, 0, 0)).toThrow(InvalidArgumentError);
  });
});

describe('mergeEmbeddingSets', () => {
  const shard = (index: number, count: number, total: number, extra: Partial<EmbeddingSetManifest> = {}): EmbeddingSet => {
    const { start, end } = shardRange(total, index, count);
    const whole = set(total);
    return {
      manifest: { ...whole.manifest, rows: whole.manifest.rows.slice(start, end), shard: { index, count, start, total }, ...extra },
      embeddings: { data: whole.embeddings.data.slice(start * 2, end * 2), shape: [end - start, 2] },
    };
  };

  it('joins shards given in any order into the unsharded set, byte for byte', () => {
    const merged = mergeEmbeddingSets([shard(2, 3, 7), shard(0, 3, 7), shard(1, 3, 7)]);
    const a = encodeEmbeddingSet(merged);
    const b = encodeEmbeddingSet(set(7));
    expect(a.manifest).toBe(b.manifest);
    expect(Buffer.from(a.embeddings).equals(Buffer.from(b.embeddings))).toBe(true);
  });

  it('refuses missing, duplicated and foreign shards with ProvenanceMismatchError naming the field', () => {
    const field = (sets: EmbeddingSet[]) => {
      try {
        mergeEmbeddingSets(sets);
      } catch (e) {
        expect(ProvenanceMismatchError.is(e)).toBe(true);
        return (e as ProvenanceMismatchError).field;
      }
      return 'merged';
    };
    expect(field([shard(0, 3, 7), shard(2, 3, 7)])).toBe('shard.index');
    expect(field([shard(0, 2, 7), shard(0, 2, 7), shard(1, 2, 7)])).toBe('shard.index');
    expect(field([shard(0, 2, 7), shard(1, 3, 7)])).toBe('shard.count');
    const other = shard(1, 2, 7);
    expect(field([shard(0, 2, 7), { ...other, manifest: { ...other.manifest, backbone: { ...other.manifest.backbone, fingerprint: 'e'.repeat(64) } } }])).toBe('backbone.fingerprint');
    expect(field([shard(0, 2, 7), { ...other, manifest: { ...other.manifest, backbone: { ...other.manifest.backbone, id: 'other' } } }])).toBe('backbone.id');
    expect(field([shard(0, 2, 7), { ...other, manifest: { ...other.manifest, dataset: { source: 'elsewhere/' } } }])).toBe('dataset');
    expect(field([shard(0, 2, 7), shard(1, 2, 8)])).toBe('shard.start');
    expect(field([shard(0, 2, 7), set(3)])).toBe('shard');
    expect(() => mergeEmbeddingSets([])).toThrow(InvalidArgumentError);
  });
});
