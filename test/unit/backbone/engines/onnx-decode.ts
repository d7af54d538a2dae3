/**
 * A small ONNX decoder for the tests: turns the bytes `encodeOnnxModel` writes back into the
 * `OnnxModel` it was given, field by field, so that a round trip checks every field number and
 * wire type. It shares only the wire-level field splitter with the code under test.
 */
import type { OnnxAttribute, OnnxElementType, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from '../../../../src/backbone/engines/onnx/onnx-model.js';
import { fieldFloat, fieldInts, fieldString, readFields, subFields, type ProtoField } from '../../../../src/backbone/engines/onnx/proto-reader.js';

const TYPES: Record<number, OnnxElementType> = { 1: 'float32', 2: 'uint8', 6: 'int32', 7: 'int64', 9: 'bool' };

const all = (fields: ProtoField[], n: number) => fields.filter((f) => f.field === n);
const one = (fields: ProtoField[], n: number) => fields.find((f) => f.field === n);

function tensor(bytes: Uint8Array, f: ProtoField): OnnxTensor {
  const fs = subFields(bytes, f);
  const type = TYPES[one(fs, 2)!.value];
  const raw = one(fs, 9)!;
  const copy = bytes.slice(raw.payloadStart, raw.payloadEnd).buffer;
  const data =
    type === 'float32' ? new Float32Array(copy) : type === 'int64' ? new BigInt64Array(copy) : type === 'int32' ? new Int32Array(copy) : new Uint8Array(copy);
  return { name: fieldString(bytes, one(fs, 8)!), type, dims: fieldInts(bytes, fs, 1), data };
}

function attribute(bytes: Uint8Array, f: ProtoField): OnnxAttribute {
  const fs = subFields(bytes, f);
  const name = fieldString(bytes, one(fs, 1)!);
  const kind = one(fs, 20)!.value;
  switch (kind) {
    case 1:
      return { name, kind: 'float', value: fieldFloat(bytes, one(fs, 2)!) };
    case 2:
      return { name, kind: 'int', value: one(fs, 3)!.value };
    case 3:
      return { name, kind: 'string', value: fieldString(bytes, one(fs, 4)!) };
    case 4:
      return { name, kind: 'tensor', value: tensor(bytes, one(fs, 5)!) };
    case 5:
      return { name, kind: 'graph', value: graph(bytes, one(fs, 6)!) };
    case 6: {
      const f7 = one(fs, 7);
      const view = f7 ? new DataView(bytes.buffer, bytes.byteOffset + f7.payloadStart, f7.payloadEnd - f7.payloadStart) : undefined;
      return { name, kind: 'floats', value: view ? Array.from({ length: view.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true)) : [] };
    }
    case 7:
      return { name, kind: 'ints', value: fieldInts(bytes, fs, 8) };
    default:
      throw new Error(`attribute type ${kind}`);
  }
}

function node(bytes: Uint8Array, f: ProtoField): OnnxNode {
  const fs = subFields(bytes, f);
  const name = one(fs, 3);
  const domain = one(fs, 7);
  return {
    opType: fieldString(bytes, one(fs, 4)!),
    inputs: all(fs, 1).map((x) => fieldString(bytes, x)),
    outputs: all(fs, 2).map((x) => fieldString(bytes, x)),
    ...(name ? { name: fieldString(bytes, name) } : {}),
    ...(domain ? { domain: fieldString(bytes, domain) } : {}),
    attributes: all(fs, 5).map((a) => attribute(bytes, a)),
  };
}

function valueInfo(bytes: Uint8Array, f: ProtoField): OnnxValueInfo {
  const fs = subFields(bytes, f);
  const tensorType = subFields(bytes, one(subFields(bytes, one(fs, 2)!), 1)!);
  const shape = one(tensorType, 2);
  return {
    name: fieldString(bytes, one(fs, 1)!),
    type: TYPES[one(tensorType, 1)!.value],
    ...(shape
      ? {
          shape: all(subFields(bytes, shape), 1).map((d) => {
            const dim = subFields(bytes, d);
            const v = one(dim, 1);
            return v ? v.value : fieldString(bytes, one(dim, 2)!);
          }),
        }
      : {}),
  };
}

function graph(bytes: Uint8Array, f: ProtoField): OnnxGraph {
  const fs = subFields(bytes, f);
  const name = one(fs, 2);
  return {
    name: name ? fieldString(bytes, name) : '',
    nodes: all(fs, 1).map((n) => node(bytes, n)),
    initializers: all(fs, 5).map((t) => tensor(bytes, t)),
    inputs: all(fs, 11).map((v) => valueInfo(bytes, v)),
    outputs: all(fs, 12).map((v) => valueInfo(bytes, v)),
  };
}

export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const fs = readFields(bytes);
  const metadata = Object.fromEntries(
    all(fs, 14).map((e) => {
      const kv = subFields(bytes, e);
      return [fieldString(bytes, one(kv, 1)!), fieldString(bytes, one(kv, 2)!)];
    }),
  );
  return {
    irVersion: one(fs, 1)!.value,
    producer: fieldString(bytes, one(fs, 2)!),
    graph: graph(bytes, one(fs, 7)!),
    opsets: all(fs, 8).map((o) => {
      const s = subFields(bytes, o);
      const d = one(s, 1);
      return { domain: d ? fieldString(bytes, d) : '', version: one(s, 2)!.value };
    }),
    ...(all(fs, 14).length > 0 ? { metadata } : {}),
  };
}
