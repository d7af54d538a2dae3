import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeOnnxModel, type OnnxAttribute, type OnnxGraph, type OnnxModel, type OnnxTensor } from '../../../../src/backbone/engines/onnx/onnx-model.js';
import { ProtoWriter } from '../../../../src/backbone/engines/onnx/protobuf.js';
import { readFields, readVarint } from '../../../../src/backbone/engines/onnx/proto-reader.js';
import { decodeOnnxModel } from './onnx-decode.js';

describe('ProtoWriter', () => {
  it('writes varints as the protobuf spec (unsigned LEB128; int64 negatives in ten bytes)', () => {
    const bytes = (v: number) => {
      const w = new ProtoWriter();
      w.varint(v);
      return [...w.finish()];
    };
    expect(bytes(0)).toEqual([0]);
    expect(bytes(1)).toEqual([1]);
    expect(bytes(300)).toEqual([0xac, 0x02]);
    expect(bytes(2 ** 32)).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(bytes(-1)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(bytes(-2)).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => bytes(2 ** 53)).toThrow(RangeError);
  });

  it('round-trips every safe integer through readVarint', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.maxSafeInteger(), fc.integer({ min: 0, max: 2 ** 53 - 1 })), (v) => {
        const w = new ProtoWriter();
        w.varint(v);
        const b = w.finish();
        expect(readVarint(b, 0, b.length)).toEqual([v, b.length]);
      }),
    );
  });

  it('encodes nested messages with correct lengths, keeping large byte fields by reference', () => {
    const big = new Uint8Array(1000).map((_, i) => i & 0xff);
    const inner = new ProtoWriter();
    inner.string(1, 'héllo');
    inner.bytes(2, big);
    const outer = new ProtoWriter();
    outer.int(1, 150);
    outer.message(2, inner);
    outer.float(3, 1.5);
    const b = outer.finish();
    const [f1, f2, f3] = readFields(b);
    expect([f1.field, f1.wire, f1.value]).toEqual([1, 0, 150]);
    expect([f2.field, f2.wire]).toEqual([2, 2]);
    const [s, raw] = readFields(b, f2.payloadStart, f2.payloadEnd);
    expect(new TextDecoder().decode(b.subarray(s.payloadStart, s.payloadEnd))).toBe('héllo');
    expect(b.subarray(raw.payloadStart, raw.payloadEnd)).toEqual(big);
    expect([f3.field, f3.wire, new DataView(b.buffer, b.byteOffset + f3.payloadStart).getFloat32(0, true)]).toEqual([3, 5, 1.5]);
    expect(outer.length).toBe(b.length);
  });
});

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_./:]{0,12}$/);
const f32 = fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround);

const tensor: fc.Arbitrary<OnnxTensor> = fc
  .record({ name, dims: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }), type: fc.constantFrom('float32', 'int64', 'int32', 'uint8') as fc.Arbitrary<OnnxTensor['type']> })
  .chain(({ name: n, dims, type }) => {
    const count = dims.reduce((a, b) => a * b, 1);
    const values =
      type === 'float32'
        ? fc.array(f32, { minLength: count, maxLength: count }).map((v) => Float32Array.from(v))
        : type === 'int64'
          ? fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { minLength: count, maxLength: count }).map((v) => BigInt64Array.from(v))
          : type === 'int32'
            ? fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: count, maxLength: count }).map((v) => Int32Array.from(v))
            : fc.uint8Array({ minLength: count, maxLength: count });
    return values.map((data) => ({ name: n, type, dims, data }));
  });

const attribute: fc.Arbitrary<OnnxAttribute> = fc.oneof(
  fc.record({ name, kind: fc.constant('int' as const), value: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }) }),
  fc.record({ name, kind: fc.constant('float' as const), value: f32 }),
  fc.record({ name, kind: fc.constant('string' as const), value: fc.string() }),
  fc.record({ name, kind: fc.constant('ints' as const), value: fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { maxLength: 5 }) }),
  fc.record({ name, kind: fc.constant('floats' as const), value: fc.array(f32, { maxLength: 5 }) }),
  fc.record({ name, kind: fc.constant('tensor' as const), value: tensor }),
);

const valueInfo = fc.record({
  name,
  type: fc.constantFrom('float32', 'uint8', 'int64', 'bool') as fc.Arbitrary<'float32'>,
  shape: fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), name), { maxLength: 4 }),
});

const graph = (nodeAttribute: fc.Arbitrary<OnnxAttribute>): fc.Arbitrary<OnnxGraph> =>
  fc.record({
    name,
    nodes: fc.array(
      fc.record({
        opType: name,
        inputs: fc.array(fc.oneof(name, fc.constant('')), { maxLength: 3 }),
        outputs: fc.array(name, { minLength: 1, maxLength: 2 }),
        name,
        domain: fc.constantFrom('com.microsoft', 'ai.onnx.ml'),
        attributes: fc.array(nodeAttribute, { maxLength: 3 }),
      }),
      { maxLength: 4 },
    ),
    initializers: fc.array(tensor, { maxLength: 3 }),
    inputs: fc.array(valueInfo, { maxLength: 2 }),
    outputs: fc.array(valueInfo, { maxLength: 2 }),
  });

describe('encodeOnnxModel', () => {
  it('round-trips models with every attribute kind, subgraphs included (decoded by a separate test decoder)', () => {
    const withGraphs = fc.oneof(attribute, graph(attribute).map((value) => ({ name: 'then_branch', kind: 'graph' as const, value })));
    const model: fc.Arbitrary<OnnxModel> = fc.record({
      irVersion: fc.integer({ min: 3, max: 10 }),
      opsets: fc.array(fc.record({ domain: fc.constantFrom('com.microsoft', 'ai.onnx.ml'), version: fc.integer({ min: 1, max: 30 }) }), { maxLength: 2 }).map((o) => [{ domain: '', version: 20 }, ...o]),
      producer: name,
      graph: graph(withGraphs),
      metadata: fc.dictionary(name, fc.string(), { minKeys: 1, maxKeys: 3 }),
    });
    fc.assert(
      fc.property(model, (m) => {
        expect(decodeOnnxModel(encodeOnnxModel(m))).toEqual(m);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a tensor whose data does not fit its dims, naming it', () => {
    const bad: OnnxModel = {
      irVersion: 9,
      opsets: [{ domain: '', version: 20 }],
      producer: 't',
      graph: { name: 'g', nodes: [], inputs: [], outputs: [], initializers: [{ name: 'w', type: 'float32', dims: [2, 2], data: new Float32Array(3) }] },
    };
    expect(() => encodeOnnxModel(bad)).toThrow(/tensor 'w' has dims \[2, 2\] \(4 values\) but 3 values/);
  });
});
