/**
 * The protobuf wire format, write side: just what ONNX needs (varints, length-delimited fields,
 * packed floats). Hand-written so that dvme carries no protobuf dependency and can stream a
 * 100 MB weight tensor into the output without re-encoding it.
 */

/** Wire types of the protobuf encoding. */
const VARINT = 0;
const FIXED32 = 5;
const LENGTH_DELIMITED = 2;

const utf8 = new TextEncoder();

/**
 * @internal Accumulates an encoded message as a list of chunks: small fields go into a scratch
 * buffer, large byte fields are kept by reference until {@link ProtoWriter.finish}, so a
 * model's weights are copied exactly once (into the final buffer).
 */
export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #scratch = new Uint8Array(256);
  #used = 0;
  #flushed = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#flushed + this.#used;
  }

  #reserve(n: number): void {
    if (this.#used + n <= this.#scratch.length) return;
    this.#flush();
    if (n > this.#scratch.length) this.#scratch = new Uint8Array(Math.max(n, 2 * this.#scratch.length));
  }

  #flush(): void {
    if (this.#used === 0) return;
    this.#chunks.push(this.#scratch.slice(0, this.#used));
    this.#flushed += this.#used;
    this.#used = 0;
  }

  /** An unsigned or signed integer as a varint; negatives take ten bytes, as int64 does. */
  varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint: ${value} is not a safe integer`);
    this.#reserve(10);
    const s = this.#scratch;
    if (value >= 0) {
      // Division rather than `>>>` because values may exceed 32 bits.
      while (value >= 0x80) {
        s[this.#used++] = (value % 0x80) | 0x80;
        value = Math.floor(value / 0x80);
      }
      s[this.#used++] = value;
      return;
    }
    // Two's complement over 64 bits, in two 32-bit halves.
    let lo = value >>> 0;
    let hi = Math.floor(value / 0x100000000) >>> 0;
    for (let i = 0; i < 9; i++) {
      s[this.#used++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    s[this.#used++] = lo & 0x01;
  }

  #tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** `int32`, `int64` or enum field. */
  int(field: number, value: number): void {
    this.#tag(field, VARINT);
    this.varint(value);
  }

  /** `float` field. */
  float(field: number, value: number): void {
    this.#tag(field, FIXED32);
    this.#reserve(4);
    new DataView(this.#scratch.buffer).setFloat32(this.#used, value, true);
    this.#used += 4;
  }

  /** `string` field, UTF-8. */
  string(field: number, value: string): void {
    this.bytes(field, utf8.encode(value));
  }

  /** `bytes` field; large arrays are kept by reference, not copied, until `finish`. */
  bytes(field: number, value: Uint8Array): void {
    this.#tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.#raw(value);
  }

  /** The tag and length of a length-delimited field whose `length` payload bytes the caller appends. */
  header(field: number, length: number): void {
    this.#tag(field, LENGTH_DELIMITED);
    this.varint(length);
  }

  /** `repeated int64` as one packed field. */
  packedInts(field: number, values: readonly number[]): void {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    this.message(field, inner);
  }

  /** `repeated float` as one packed field. */
  packedFloats(field: number, values: readonly number[]): void {
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    this.bytes(field, data);
  }

  /** An embedded message written by another writer (which must not be used afterwards). */
  message(field: number, inner: ProtoWriter): void {
    this.#tag(field, LENGTH_DELIMITED);
    this.varint(inner.length);
    inner.#flush();
    this.#flush();
    for (const c of inner.#chunks) this.#chunks.push(c);
    this.#flushed += inner.#flushed;
  }

  #raw(data: Uint8Array): void {
    if (data.length <= 64) {
      this.#reserve(data.length);
      this.#scratch.set(data, this.#used);
      this.#used += data.length;
      return;
    }
    this.#flush();
    this.#chunks.push(data);
    this.#flushed += data.length;
  }

  /** The encoded message as one buffer. */
  finish(): Uint8Array {
    this.#flush();
    if (this.#chunks.length === 1) return this.#chunks[0];
    const out = new Uint8Array(this.#flushed);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
