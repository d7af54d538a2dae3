import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../../src/errors/index.js';
import { unpickle, unpickleAt } from '../../../src/io/pickle.js';
import { fixture, onlyFormatErrors } from './fixtures.js';

interface PickleCase {
  name: string;
  hex: string;
  value: unknown;
}

const cases = JSON.parse(new TextDecoder().decode(fixture('pickles.json'))) as PickleCase[];
const fromHex = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** The tagged JSON form io_formats.py writes, built from an unpickled JS value. */
function tag(v: unknown): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return { big: String(v) };
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { n: 'nan' };
    if (!Number.isFinite(v)) return { n: v > 0 ? 'inf' : '-inf' };
    return { n: Object.is(v, -0) ? '-0' : v };
  }
  if (v instanceof Uint8Array) return { bytes: Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('') };
  if (Array.isArray(v)) return Object.isFrozen(v) ? { tuple: v.map(tag) } : v.map(tag);
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [tag(k), tag(x)]) };
  if (v instanceof Set) return { set: [...v].map(tag).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) };
  if (typeof v === 'object' && Object.getPrototypeOf(v) === null) {
    return { namespace: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tag(x)])) };
  }
  throw new Error(`untaggable ${typeof v}`);
}

describe('unpickle', () => {
  it.each(cases.map((c) => [c.name, c] as const))('reads %s like Python does', (_, c) => {
    expect(tag(unpickle(fromHex(c.hex)))).toEqual(c.value);
  });

  it('keeps shared references shared and tuples immutable', () => {
    const value = unpickle(fromHex(cases.find((c) => c.name === 'shared')!.hex)) as unknown[][];
    expect(value[0]).toBe(value[1]);
    expect(Object.isFrozen(unpickle(bytesOf('\x80\x02K\x01\x85.')))).toBe(true);
  });

  it('reads self-referencing lists without recursing', () => {
    // l = []; l.append(l); pickle.dumps(l, 2)
    const l = unpickle(bytesOf('\x80\x02]q\x00h\x00a.')) as unknown[];
    expect(l[0]).toBe(l);
  });

  it('reads the 8-byte-length opcodes, NEWOBJ_EX, text PERSID and BINPERSID', () => {
    expect(unpickle(bytesOf('\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi.'))).toBe('hi');
    expect(unpickle(bytesOf('\x8e\x01\x00\x00\x00\x00\x00\x00\x00\x07.'))).toEqual(new Uint8Array([7]));
    const ns = unpickle(bytesOf('\x80\x04cargparse\nNamespace\n)}X\x01\x00\x00\x00aK\x01s\x92.')) as Record<string, unknown>;
    expect({ ...ns }).toEqual({ a: 1 });
    const persistentLoad = (pid: unknown): unknown => ({ loaded: pid });
    expect(unpickle(bytesOf('Pkey\n.'), { persistentLoad })).toEqual({ loaded: 'key' });
    expect(unpickle(bytesOf('\x80\x02K\x05Q.'), { persistentLoad })).toEqual({ loaded: 5 });
    expect(() => unpickle(bytesOf('Pkey\n.'))).toThrow(/persistent id/);
  });

  it('returns where the pickle ended, so consecutive pickles can be read', () => {
    const bytes = bytesOf('\x80\x02K\x01.\x80\x02K\x02.');
    const first = unpickleAt(bytes);
    expect(first).toEqual({ value: 1, end: 5 });
    expect(unpickleAt(bytes, { offset: first.end })).toEqual({ value: 2, end: 10 });
  });

  it('refuses os.system (and any global off the allow-list), naming it and why', () => {
    const evil = fixture('evil.pkl');
    expect(() => unpickle(evil)).toThrow(CheckpointFormatError);
    expect(() => unpickle(evil)).toThrow(/"posix\.system".*could run code/);
    for (const name of ['builtins\neval', 'subprocess\nPopen', 'torch.nn.modules.linear\nLinear', '__builtin__\ngetattr']) {
      expect(() => unpickle(bytesOf(`c${name}\n.`))).toThrow(/Refused to load pickle global/);
    }
    expect(() => unpickle(bytesOf('\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93.'))).toThrow(/"os\.system"/);
  });

  it.each([
    ['an unknown opcode', '\x80\x02\xff.', /unsupported opcode 0xff/],
    ['protocol 6', '\x80\x06N.', /protocol 6/],
    ['INST (code-running protocol 0 form)', 'ios\nsystem\n(S\'x\'\nt.', /unsupported opcode 0x69/],
    ['a missing STOP', '\x80\x02N', /Truncated/],
    ['an empty stack', '\x80\x02\x85.', /empty stack/],
    ['a GET before PUT', '\x80\x02h\x05.', /memo entry 5/],
    ['APPEND to a tuple', '\x80\x02)K\x01a.', /not a list/],
    ['SETITEM on a list', '\x80\x02]K\x01K\x02s.', /not a dict/],
    ['REDUCE of a non-global', '\x80\x02K\x01)R.', /non-callable/],
    ['calling a storage type', '\x80\x02ctorch\nFloatStorage\n)R.', /cannot be called/],
    ['a huge LONG4', '\x80\x02\x8b\x00\x00\x10\x00', /Truncated/],
    ['a BINBYTES8 length of 2^60', '\x80\x04\x8e\x00\x00\x00\x00\x00\x00\x00\x10.', /above 2\^53/],
    ['a non-integer INT', 'Iabc\n.', /not an integer/],
  ])('rejects %s', (_, text, message) => {
    expect(() => unpickle(bytesOf(text))).toThrow(CheckpointFormatError);
    expect(() => unpickle(bytesOf(text))).toThrow(message);
  });

  it('only ever throws CheckpointFormatError on random bytes (property)', async () => {
    // Opcode-heavy random input: printable protocol-0 opcodes and protocol-2+ opcodes.
    const opcode = fc.constantFrom(...Array.from('()0125NIJKLMFGSTUVXabcdehjlpqrstu}]\x80\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8f\x90\x91\x93\x94\x95.', (c) => c.charCodeAt(0)));
    const arb = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.array(fc.oneof(opcode, fc.nat(255)), { maxLength: 64 }).map((a) => Uint8Array.from(a)));
    await fc.assert(
      fc.asyncProperty(arb, async (bytes) => onlyFormatErrors(() => unpickle(bytes, { persistentLoad: (p) => p }))),
      { numRuns: 2000 },
    );
  });

  it('only ever throws CheckpointFormatError on corrupted real pickles (property)', async () => {
    const sources = cases.map((c) => fromHex(c.hex));
    await fc.assert(
      fc.asyncProperty(fc.nat(sources.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()), async (i, edits, cut) => {
        const bytes = new Uint8Array(sources[i]);
        for (const [pos, v] of edits) bytes[pos % bytes.length] = v;
        await onlyFormatErrors(() => unpickle(cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1))));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('unpickle of hostile structures', () => {
  it('does not let _rebuild_from_type_v2 call itself through a self-referencing argument', () => {
    // f = _rebuild_from_type_v2; L = [f, None, L]; f(f, None, L) would recurse without end.
    const text = '\x80\x02ctorch._tensor\n_rebuild_from_type_v2\nq\x00]q\x01(h\x00Nh\x01e0h\x00Nh\x01\x87R.';
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    expect(() => unpickle(bytes)).toThrow(CheckpointFormatError);
    expect(() => unpickle(bytes)).toThrow(/allowed rebuild function/);
  });
});
