import { CheckpointFormatError } from '../errors/index.js';

/**
 * A bounds-checked little-endian cursor over untrusted bytes. Every read checks the remaining
 * length first, so a hostile length field becomes a {@link CheckpointFormatError} that names
 * the file kind, never a `RangeError` or a huge allocation.
 *
 * @internal
 */
export class ByteReader {
  /** Current read position, in bytes from the start of `bytes`. */
  pos: number;
  private readonly view: DataView;

  /**
   * @param bytes - the input; never copied.
   * @param what - the file kind, for messages (`'zip'`, `'pickle'`).
   * @param pos - initial position.
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly what: string,
    pos = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  /** Bytes left after `pos`. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes are available at `pos`. */
  need(n: number, field: string): void {
    if (!(n >= 0) || n > this.remaining) {
      throw new CheckpointFormatError(
        `Truncated or corrupt ${this.what}: ${field} needs ${n} bytes at offset ${this.pos} ` +
          `but only ${Math.max(0, this.remaining)} remain. The file is damaged or not a ${this.what}; ` +
          'download or export it again.',
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++];
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(field: string): number {
    this.need(4, field);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** An unsigned 64-bit integer; values above 2^53 are refused (no real offset is that big). */
  u64(field: string): number {
    this.need(8, field);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    if (hi >= 0x200000) {
      throw new CheckpointFormatError(
        `Corrupt ${this.what}: ${field} is ${BigInt(hi) * 2n ** 32n + BigInt(lo)}, above 2^53; ` +
          'no valid file has such a value. The file is damaged or hostile.',
      );
    }
    return hi * 2 ** 32 + lo;
  }

  f64be(field: string): number {
    this.need(8, field);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /** A view of the next `n` bytes (no copy). */
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Bytes up to (not including) the next `\n`, which is consumed. */
  line(field: string): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.need(this.remaining + 1, field);
    const out = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }
}

/**
 * Throws a {@link CheckpointFormatError} unless `[offset, offset + length)` lies inside a buffer
 * of `size` bytes.
 *
 * @internal
 */
export function checkRange(offset: number, length: number, size: number, what: string): void {
  if (!(offset >= 0 && length >= 0 && offset + length <= size)) {
    throw new CheckpointFormatError(
      `Corrupt ${what}: byte range [${offset}, ${offset + length}) falls outside the ` +
        `${size}-byte input. The file is truncated or damaged; download or export it again.`,
    );
  }
}
