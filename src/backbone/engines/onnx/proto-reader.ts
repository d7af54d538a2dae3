/**
 * The protobuf wire format, read side: splits a message into its fields without decoding them,
 * so that a model can be edited (inputs replaced, nodes added) by copying every untouched field
 * byte for byte, and decodes the few scalar and string fields dvme inspects.
 */
import { CheckpointFormatError } from '../../../errors/index.js';

/**
 * @internal One field of a message: its number and wire type, where its whole encoding lies
 * (`start`-`end`, tag included, for copying) and its payload (`value` for varints and fixed
 * widths, `payloadStart`-`payloadEnd` for length-delimited fields).
 */
export interface ProtoField {
  readonly field: number;
  readonly wire: number;
  readonly start: number;
  readonly end: number;
  readonly payloadStart: number;
  readonly payloadEnd: number;
  /** The varint's value (int64 two's complement read as a signed number). */
  readonly value: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function truncated(at: number): CheckpointFormatError {
  return new CheckpointFormatError(`Invalid ONNX file: the protobuf encoding ends inside a field at byte ${at}. Is the file complete?`);
}

/** @internal Decodes a varint at `at`; returns its value and the position after it. */
export function readVarint(bytes: Uint8Array, at: number, end: number): [number, number] {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (at >= end) throw truncated(at);
    const b = bytes[at++];
    if (shift < 28) lo |= (b & 0x7f) << shift;
    else if (shift === 28) {
      lo |= (b & 0x0f) << 28;
      hi |= (b & 0x7f) >>> 4;
    } else hi |= (b & 0x7f) << (shift - 32);
    if ((b & 0x80) === 0) {
      // int64 values above 2^53 do not occur in the fields dvme reads (dims, enums, versions).
      return [(hi | 0) * 0x100000000 + (lo >>> 0), at];
    }
    shift += 7;
  }
  throw new CheckpointFormatError(`Invalid ONNX file: a varint at byte ${at} is longer than 10 bytes.`);
}

/** @internal Every field of the message in `bytes[start, end)`, in file order. */
export function readFields(bytes: Uint8Array, start = 0, end = bytes.length): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = start;
  while (at < end) {
    const fieldStart = at;
    const [tag, afterTag] = readVarint(bytes, at, end);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    at = afterTag;
    let value = 0;
    let payloadStart = at;
    if (wire === 0) [value, at] = readVarint(bytes, at, end);
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [length, afterLength] = readVarint(bytes, at, end);
      payloadStart = afterLength;
      at = afterLength + length;
    } else {
      throw new CheckpointFormatError(`Invalid ONNX file: unsupported protobuf wire type ${wire} at byte ${fieldStart}.`);
    }
    if (at > end || field < 1) throw truncated(fieldStart);
    fields.push({ field, wire, start: fieldStart, end: at, payloadStart, payloadEnd: at, value });
  }
  return fields;
}

/** @internal The UTF-8 text of a length-delimited field. */
export function fieldString(bytes: Uint8Array, f: ProtoField): string {
  return utf8.decode(bytes.subarray(f.payloadStart, f.payloadEnd));
}

/** @internal The fields of an embedded message. */
export function subFields(bytes: Uint8Array, f: ProtoField): ProtoField[] {
  return readFields(bytes, f.payloadStart, f.payloadEnd);
}

/** @internal The float of a fixed32 field. */
export function fieldFloat(bytes: Uint8Array, f: ProtoField): number {
  return new DataView(bytes.buffer, bytes.byteOffset + f.payloadStart, 4).getFloat32(0, true);
}

/** @internal The values of a `repeated int64` field, packed or not. */
export function fieldInts(bytes: Uint8Array, fields: readonly ProtoField[], number: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== number) continue;
    if (f.wire === 0) out.push(f.value);
    else {
      for (let at = f.payloadStart; at < f.payloadEnd; ) {
        const [v, next] = readVarint(bytes, at, f.payloadEnd);
        out.push(v);
        at = next;
      }
    }
  }
  return out;
}
