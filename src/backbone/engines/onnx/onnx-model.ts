import { InvalidArgumentError } from '../../../errors/index.js';
import { ProtoWriter } from './protobuf.js';

/**
 * Element types dvme writes into ONNX graphs, named as onnxruntime's JavaScript API names them.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export type OnnxElementType = 'float32' | 'float16' | 'uint8' | 'int32' | 'int64' | 'bool';

/** @internal `TensorProto.DataType` of each element type. */
export const ONNX_DATA_TYPES: Readonly<Record<OnnxElementType, number>> = Object.freeze({
  float32: 1,
  float16: 10,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
});

/**
 * A constant tensor of a graph (a weight), with its values in row-major order.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface OnnxTensor {
  readonly name: string;
  readonly type: OnnxElementType;
  readonly dims: readonly number[];
  /**
   * `Float32Array` for float32, `Uint16Array` (IEEE half bits) for float16, `BigInt64Array` for
   * int64, `Int32Array`, `Uint8Array` (also for bool).
   */
  readonly data: Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
}

/**
 * A node attribute; `kind` picks the `AttributeProto` field.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export type OnnxAttribute =
  | { readonly name: string; readonly kind: 'int'; readonly value: number }
  | { readonly name: string; readonly kind: 'float'; readonly value: number }
  | { readonly name: string; readonly kind: 'string'; readonly value: string }
  | { readonly name: string; readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: 'tensor'; readonly value: OnnxTensor }
  | { readonly name: string; readonly kind: 'graph'; readonly value: OnnxGraph };

/**
 * One operator application.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  /** `''` (the default ONNX domain) or e.g. `'com.microsoft'`. */
  readonly domain?: string;
  readonly attributes?: readonly OnnxAttribute[];
}

/**
 * A graph input or output: name, element type and shape (numbers are fixed sizes, strings are
 * symbolic ones such as `'batch'`).
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxElementType;
  /** Omit for an unknown rank. */
  readonly shape?: ReadonlyArray<number | string>;
}

/**
 * An ONNX graph in memory.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /**
   * `value_info`: declared types and shapes of values inside the graph, which onnxruntime merges
   * with what it infers (dvme states the model input's shape after the preprocessing `If`).
   */
  readonly valueInfo?: readonly OnnxValueInfo[];
}

/**
 * An ONNX model: a graph plus the operator sets it uses.
 *
 * @remarks Since 0.1.0.
 * @internal
 */
export interface OnnxModel {
  /** ONNX IR version (8 goes with opset 17, 9 with opsets 19-20). */
  readonly irVersion: number;
  readonly opsets: ReadonlyArray<{ readonly domain: string; readonly version: number }>;
  /** `producer_name`. */
  readonly producer: string;
  readonly graph: OnnxGraph;
  /** `metadata_props`: free-form key-value pairs (dvme records the build key there). */
  readonly metadata?: Readonly<Record<string, string>>;
}

const ATTRIBUTE_TYPES = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7 } as const;

/** Little-endian bytes of a typed array; a view, not a copy, on little-endian hosts. */
function littleEndianBytes(data: OnnxTensor['data']): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (IS_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return view;
  const out = new Uint8Array(view.length);
  const size = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < view.length; i += size) {
    for (let b = 0; b < size; b++) out[i + b] = view[i + size - 1 - b];
  }
  return out;
}

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function tensorProto(t: OnnxTensor): ProtoWriter {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new InvalidArgumentError(
      `encodeOnnxModel: tensor '${t.name}' has dims [${t.dims.join(', ')}] (${count} values) but ${t.data.length} values.`,
    );
  }
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d); // dims
  w.int(2, ONNX_DATA_TYPES[t.type]); // data_type
  w.string(8, t.name); // name
  w.bytes(9, littleEndianBytes(t.data)); // raw_data
  return w;
}

function attributeProto(a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, a.name);
  w.int(20, ATTRIBUTE_TYPES[a.kind]);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, tensorProto(a.value));
      break;
    case 'graph':
      w.message(6, graphProto(a.value));
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
  }
  return w;
}

function nodeProto(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes ?? []) w.message(5, attributeProto(a));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function valueInfoProto(v: OnnxValueInfo): ProtoWriter {
  const tensorType = new ProtoWriter();
  tensorType.int(1, ONNX_DATA_TYPES[v.type]); // elem_type
  if (v.shape) {
    const shape = new ProtoWriter();
    for (const d of v.shape) {
      const dim = new ProtoWriter();
      if (typeof d === 'number') dim.int(1, d); // dim_value
      else dim.string(2, d); // dim_param
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  const type = new ProtoWriter();
  type.message(1, tensorType); // tensor_type
  const w = new ProtoWriter();
  w.string(1, v.name);
  w.message(2, type);
  return w;
}

function graphProto(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, nodeProto(n));
  if (g.name) w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensorProto(t));
  for (const v of g.inputs) w.message(11, valueInfoProto(v));
  for (const v of g.outputs) w.message(12, valueInfoProto(v));
  for (const v of g.valueInfo ?? []) w.message(13, valueInfoProto(v));
  return w;
}

/**
 * @internal The fields of a `GraphProto` (nodes, initializers, inputs, outputs; the name when
 * not empty), for splicing into another graph's encoding: protobuf messages concatenate.
 */
export function encodeGraphFields(graph: OnnxGraph): Uint8Array {
  return graphProto(graph).finish();
}

/**
 * Serialises a model to the bytes of an `.onnx` file (`ModelProto`), weights inline as
 * `raw_data`.
 *
 * @param model - the model; tensors are read, not copied, until the final buffer is written.
 * @returns the file's bytes, loadable by onnxruntime, netron or Python's `onnx.load`.
 * @throws An {@link InvalidArgumentError} for a tensor whose data does not fit its dims.
 *
 * @remarks Since 0.1.0. Models over 2 GiB (protobuf's limit) need external data, which this
 * writer does not produce; dvme's backbones are far below it.
 * @internal
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producer);
  w.message(7, graphProto(model.graph));
  for (const { domain, version } of model.opsets) {
    const opset = new ProtoWriter();
    if (domain) opset.string(1, domain);
    opset.int(2, version);
    w.message(8, opset);
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    const entry = new ProtoWriter();
    entry.string(1, key);
    entry.string(2, value);
    w.message(14, entry);
  }
  return w.finish();
}
