import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch, encodeRecord, parseRecords, RecordKind } from '../../../src/embedding-cache/embedding-records.js';
import { toHex } from '../../../src/io/sha256.js';
import { concatBytes } from '../../../src/io/concat-bytes.js';

const key = (i: number) => Uint8Array.from({ length: 32 }, (_, j) => (i * 7 + j) % 256);

function batch(first: number, count: number, dim: number): Uint8Array {
  const keys = Array.from({ length: count }, (_, i) => key(first + i));
  const values = Float32Array.from({ length: count * dim }, (_, i) => (first * 1000 + i) / 7);
  return encodeRecord(RecordKind.Batch, encodeBatch(keys, values, dim));
}


describe('embedding cache records', () => {
  it('round-trip keys and float32 rows bit for bit', () => {
    const values = Float32Array.from([0, -0, 1.5, Number.NaN, Number.MIN_VALUE, -3.4e38]);
    const record = encodeRecord(RecordKind.Batch, encodeBatch([key(1), key(2)], values, 3));
    const { records, consumed, skipped } = parseRecords(record);
    expect([consumed, skipped, records.length]).toEqual([record.length, 0, 1]);
    const rows = decodeBatch(records[0]!.payload, 3)!;
    expect(rows.map(([k]) => k)).toEqual([toHex(key(1)), toHex(key(2))]);
    const back = new Float32Array(6);
    rows.forEach(([, r], i) => back.set(r, i * 3));
    expect(new Uint32Array(back.buffer)).toEqual(new Uint32Array(values.buffer));
    expect(decodeBatch(records[0]!.payload, 4)).toBeUndefined();
  });

  it('stop before a torn tail and resume there once it is complete', () => {
    const a = batch(0, 2, 4);
    const b = batch(2, 3, 4);
    const whole = concatBytes([a, b]);
    const torn = parseRecords(whole.subarray(0, a.length + 20));
    expect([torn.records.length, torn.consumed, torn.skipped]).toEqual([1, a.length, 0]);
    expect(parseRecords(whole.subarray(torn.consumed)).records).toHaveLength(1);
  });

  it('skip a damaged record when a valid one follows (a torn write, then a later writer)', () => {
    const a = batch(0, 2, 4);
    const b = batch(2, 3, 4);
    const parsed = parseRecords(concatBytes([a.subarray(0, 30), b]));
    expect([parsed.records.length, parsed.skipped, parsed.consumed]).toEqual([1, 1, 30 + b.length]);
    expect(decodeBatch(parsed.records[0]!.payload, 4)![0]![0]).toBe(toHex(key(2)));
  });

  it('property: truncation or a flipped byte never yields a record that was not written', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (specs, cutAt, flipAt, mask) => {
          const records = specs.map(([first, count]) => batch(first, count, 3));
          const whole = concatBytes(records);
          const damaged = whole.slice(0, 1 + (cutAt % whole.length));
          const flip = flipAt % damaged.length;
          damaged[flip] = (damaged[flip] as number) ^ mask;
          const written = new Set(records.map((r) => toHex(r)));
          const parsed = parseRecords(damaged);
          for (const { payload } of parsed.records) {
            expect(written.has(toHex(encodeRecord(RecordKind.Batch, payload)))).toBe(true);
          }
          // Every record wholly before the damage is read.
          let end = 0;
          let intact = 0;
          for (const r of records) {
            end += r.length;
            if (end <= flip) intact++;
          }
          expect(parsed.records.length).toBeGreaterThanOrEqual(intact);
        },
      ),
      { numRuns: 300 },
    );
  });
});
