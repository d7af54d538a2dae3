import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../../src/errors/index.js';
import { parseSafetensors } from '../../../src/io/safetensors.js';
import { expected, expectTensor, fixture, mutate, onlyFormatErrors, type ExpectedTensor } from './fixtures.js';
import { mutationArb } from './mutation-arbitrary.js';

/** A safetensors file from a header object and a data region. */
function build(header: unknown, data = new Uint8Array(0), length?: bigint): Uint8Array {
  return buildRaw(JSON.stringify(header), data, length);
}

/** The same from header JSON text, which can say what an object cannot (a key twice). */
function buildRaw(header: string, data = new Uint8Array(0), length?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('parseSafetensors', () => {
  const want = expected['tensors.safetensors'] as {
    tensors: Record<string, ExpectedTensor>;
    metadata: Record<string, string>;
  };

  it('reads F32, F16 (subnormals, inf, nan, -0), BF16 and I64 exactly, with metadata', () => {
    const bytes = fixture('tensors.safetensors');
    const { tensors, metadata } = parseSafetensors(bytes);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(want.tensors).sort());
    for (const [name, t] of Object.entries(want.tensors)) expectTensor(tensors.get(name), t, name);
    expect({ ...metadata }).toEqual(want.metadata);
    // Tensors are views into the input, not copies.
    expect(tensors.get('w32')!.bytes.buffer).toBe(bytes.buffer);
  });

  it('rejects a header length of 2^60 before decoding or allocating anything', () => {
    const bytes = build({}, new Uint8Array(0), 2n ** 60n);
    expect(() => parseSafetensors(bytes)).toThrow(CheckpointFormatError);
    expect(() => parseSafetensors(bytes)).toThrow(/above 2\^53/);
    expect(() => parseSafetensors(build({}, new Uint8Array(0), 2n ** 40n))).toThrow(/header length 1099511627776 exceeds/);
  });

  it.each([
    ['an array header', [], /not an object/],
    ['an unknown dtype', { t: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, /F8_E4M3.*supported dtypes are F32/],
    ['a fractional shape', { t: { dtype: 'U8', shape: [1.5], data_offsets: [0, 1] } }, /shape/],
    ['offsets past the data', { t: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, /data_offsets/],
    ['reversed offsets', { t: { dtype: 'U8', shape: [0], data_offsets: [2, 1] } }, /data_offsets/],
    ['a size mismatch', { t: { dtype: 'F32', shape: [1], data_offsets: [0, 2] } }, /need 4/],
    ['non-string metadata', { __metadata__: { a: 1 } }, /not a string/],
  ])('rejects %s', (_, header, message) => {
    expect(() => parseSafetensors(build(header, new Uint8Array(2)))).toThrow(message);
  });

  it('rejects short input and invalid JSON', () => {
    expect(() => parseSafetensors(new Uint8Array(3))).toThrow(CheckpointFormatError);
    const bad = build({});
    bad[8] = 0xff;
    expect(() => parseSafetensors(bad)).toThrow(/not UTF-8 JSON/);
  });

  it('treats a "__proto__" tensor name as data', () => {
    const json = '{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    const bytes = build(JSON.parse(json), new Uint8Array([7]));
    const { tensors } = parseSafetensors(bytes);
    expect(tensors.get('__proto__')?.bytes[0]).toBe(7);
  });

  it('only ever throws CheckpointFormatError on random or corrupted bytes (property)', async () => {
    const valid = fixture('tensors.safetensors');
    await fc.assert(
      fc.asyncProperty(mutationArb, async (m) => onlyFormatErrors(() => parseSafetensors(mutate(valid, m)))),
      { numRuns: 400 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => onlyFormatErrors(() => parseSafetensors(bytes))),
    );
  });

  describe('is as strict about the data layout as the reference implementation (issue #14)', () => {
    const u8 = (begin: number, end: number) => ({ dtype: 'U8', shape: [end - begin], data_offsets: [begin, end] });

    it.each([
      ['overlapping tensors', { a: u8(0, 4), b: u8(2, 6) }, 6, /tensor "b" has data_offsets \[2,6\].*overlap.*"a"/],
      ['the same bytes for two tensors', { a: u8(0, 4), b: u8(0, 4) }, 4, /tensor "[ab]" .*overlap/],
      ['a gap between tensors', { a: u8(0, 2), b: u8(4, 6) }, 6, /tensor "b" .*starts at 4.*"a" ends at 2/],
      ['a gap before the first tensor', { a: u8(2, 4) }, 4, /tensor "a" .*starts at 2.*0/],
      ['bytes after the last tensor', { a: u8(0, 2) }, 4, /2 bytes after the last tensor "a"/],
    ])('rejects %s, naming the tensor', (_, header, dataLength, message) => {
      const error = (() => {
        try {
          parseSafetensors(build(header, new Uint8Array(dataLength)));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(CheckpointFormatError.is(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    });

    it('rejects a tensor named twice (JSON.parse would keep the last silently)', () => {
      const t = '{"dtype":"U8","shape":[1],"data_offsets":[0,1]}';
      expect(() => parseSafetensors(buildRaw(`{"w":${t},"w":${t}}`, new Uint8Array(1)))).toThrow(/tensor "w" appears twice/);
      expect(() => parseSafetensors(buildRaw(`{"__metadata__":{},"\\u0077":${t},"w":${t}}`, new Uint8Array(1)))).toThrow(/"w" appears twice/);
      expect(() => parseSafetensors(buildRaw(`{"__metadata__":{},"__metadata__":{},"w":${t}}`, new Uint8Array(1)))).toThrow(/"__metadata__" appears twice/);
    });

    it('accepts contiguous tensors in any header order, empty ones included, and keys with escapes', () => {
      const { tensors } = parseSafetensors(
        build({ 'b"\\{': u8(2, 5), a: u8(0, 2), e: u8(5, 5), __metadata__: { k: '}' } }, new Uint8Array(5)),
      );
      expect([...tensors.keys()].sort()).toEqual(['a', 'b"\\{', 'e']);
    });
  });
});

