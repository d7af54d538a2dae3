import { toHex } from '../io/sha256.js';

/**
 * The on-disk form of the embedding cache: a segment is a sequence of self-checking records,
 * appended a batch at a time. A crash can only tear the last record of a segment; the reader
 * stops before it (it may still be being written) or, when a valid record follows (a store
 * that reorders or damages bytes), skips it. A record whose checksum fails is never data.
 *
 * Record: magic `dvec` (4 bytes), kind (1), 3 zero bytes, payload length (u32 LE), CRC-32 of
 * the bytes from kind to the end of the payload (u32 LE), payload.
 */

const MAGIC = [0x64, 0x76, 0x65, 0x63]; // 'dvec'
const HEAD = 16;
/** Bumped whenever the bytes below change meaning; part of every backbone fingerprint too. */
export const RECORD_FORMAT = 1;

/** @internal What a record holds: the segment's header (JSON), or a batch of embeddings. */
export const RecordKind = { Header: 1, Batch: 2 } as const;
/** @internal One of {@link RecordKind}. */
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as zip and PNG use) of two byte ranges, as if concatenated. */
function crc32(a: Uint8Array, b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < a.length; i++) c = (CRC_TABLE[(c ^ (a[i] as number)) & 0xff] as number) ^ (c >>> 8);
  for (let i = 0; i < b.length; i++) c = (CRC_TABLE[(c ^ (b[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** @internal One record, ready to append. */
export function encodeRecord(kind: RecordKind, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEAD + payload.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = kind;
  view.setUint32(8, payload.length, true);
  out.set(payload, HEAD);
  view.setUint32(12, crc32(out.subarray(4, 12), payload), true);
  return out;
}

/** @internal The payload of a batch record: `count`, `dim`, the 32-byte image keys, the float32 values. */
export function encodeBatch(keys: readonly Uint8Array[], values: Float32Array, dim: number): Uint8Array {
  const count = keys.length;
  const out = new Uint8Array(8 + 32 * count + 4 * count * dim);
  const view = new DataView(out.buffer);
  view.setUint32(0, count, true);
  view.setUint32(4, dim, true);
  keys.forEach((k, i) => out.set(k, 8 + 32 * i));
  const at = 8 + 32 * count;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(values.buffer, values.byteOffset, count * dim * 4), at);
  else for (let i = 0; i < count * dim; i++) view.setFloat32(at + 4 * i, values[i] as number, true);
  return out;
}

/** @internal A batch record read back: image keys (hex) and one float32 row per key. */
export function decodeBatch(payload: Uint8Array, dim: number): Array<[string, Float32Array]> | undefined {
  if (payload.length < 8) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = view.getUint32(0, true);
  if (view.getUint32(4, true) !== dim || payload.length !== 8 + 32 * count + 4 * count * dim) return undefined;
  const at = 8 + 32 * count;
  // A copy: aligned, and independent of the segment's bytes, which can then be dropped.
  const values = new Float32Array(count * dim);
  if (LITTLE_ENDIAN) new Uint8Array(values.buffer).set(payload.subarray(at, at + 4 * count * dim));
  else for (let i = 0; i < count * dim; i++) values[i] = view.getFloat32(at + 4 * i, true);
  const rows: Array<[string, Float32Array]> = [];
  for (let i = 0; i < count; i++) {
    rows.push([toHex(payload.subarray(8 + 32 * i, 8 + 32 * (i + 1))), values.subarray(i * dim, (i + 1) * dim)]);
  }
  return rows;
}

/** Length of the valid record at `at`, or 0 when there is none (torn, damaged or not a record). */
function validRecordAt(bytes: Uint8Array, at: number): number {
  if (at + HEAD > bytes.length) return 0;
  for (let i = 0; i < 4; i++) if (bytes[at + i] !== MAGIC[i]) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, HEAD);
  const length = view.getUint32(8, true);
  if (at + HEAD + length > bytes.length) return 0;
  const payload = bytes.subarray(at + HEAD, at + HEAD + length);
  return crc32(bytes.subarray(at + 4, at + 12), payload) === view.getUint32(12, true) ? HEAD + length : 0;
}

/** The start of the next valid record after `from`, or -1. */
function nextValidRecord(bytes: Uint8Array, from: number): number {
  for (let at = bytes.indexOf(MAGIC[0] as number, from); at >= 0; at = bytes.indexOf(MAGIC[0] as number, at + 1)) {
    if (validRecordAt(bytes, at) > 0) return at;
  }
  return -1;
}

/** @internal The records of a segment's bytes, and how far they reach. */
export interface ParsedRecords {
  readonly records: Array<{ readonly kind: number; readonly payload: Uint8Array }>;
  /** Bytes read up to the end of the last valid record: where the next read starts. */
  readonly consumed: number;
  /** Damaged records skipped because a valid record follows them. */
  readonly skipped: number;
}

/**
 * @internal Reads records from the start of `bytes`. A trailing part that is no valid record
 * is left unconsumed: it is either still being written or torn by a crash, and is never data.
 */
export function parseRecords(bytes: Uint8Array): ParsedRecords {
  const records: Array<{ kind: number; payload: Uint8Array }> = [];
  let at = 0;
  let skipped = 0;
  while (at < bytes.length) {
    const length = validRecordAt(bytes, at);
    if (length > 0) {
      records.push({ kind: bytes[at + 4] as number, payload: bytes.subarray(at + HEAD, at + length) });
      at += length;
      continue;
    }
    const next = nextValidRecord(bytes, at + 1);
    if (next < 0) break;
    skipped++;
    at = next;
  }
  return { records, consumed: at, skipped };
}
