import type { PreprocessSpec } from '../../../image/preprocess-spec.js';
import { CheckpointFormatError, InvalidArgumentError } from '../../../errors/index.js';
import { attr, GraphBuilder } from './graph-builder.js';
import { imageFrontGraph } from './image-front.js';
import { encodeGraphFields } from './onnx-model.js';
import { ProtoWriter } from './protobuf.js';
import { fieldString, readFields, subFields, type ProtoField } from './proto-reader.js';
import { concatBytes } from '../../../io/concat-bytes.js';

/**
 * @internal A graph input, output or `value_info` as read from a file: `shape` is `null` when
 * the file does not say, a dim is `null` when neither fixed nor named.
 */
export interface OnnxValueSummary {
  readonly name: string;
  /** `TensorProto.DataType` (1 float32, 10 float16, ...), 0 when unknown. */
  readonly elemType: number;
  readonly shape: ReadonlyArray<number | string | null> | null;
}

/** @internal What an existing model declares, read without decoding its weights. */
export interface OnnxModelSummary {
  /** Default-domain opset. */
  readonly opset: number;
  /** Graph inputs that are not initializers (older exports list weights as inputs too). */
  readonly inputs: readonly OnnxValueSummary[];
  readonly outputs: readonly OnnxValueSummary[];
  /** Shapes of intermediate values, when the exporter ran shape inference. */
  readonly valueInfo: ReadonlyMap<string, OnnxValueSummary>;
  /** Every value name in the graph: inputs, initializers and node outputs. */
  readonly names: ReadonlySet<string>;
  /** Names of the graph's nodes. */
  readonly nodeNames: ReadonlySet<string>;
}

const MODEL_GRAPH = 7;
const MODEL_OPSET = 8;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;

function valueSummary(bytes: Uint8Array, f: ProtoField): OnnxValueSummary {
  let name = '';
  let elemType = 0;
  let shape: (number | string | null)[] | null = null;
  for (const v of subFields(bytes, f)) {
    if (v.field === 1) name = fieldString(bytes, v);
    if (v.field !== 2) continue;
    const tensor = subFields(bytes, v).find((t) => t.field === 1); // TypeProto.tensor_type
    for (const t of tensor ? subFields(bytes, tensor) : []) {
      if (t.field === 1) elemType = t.value;
      if (t.field !== 2) continue;
      shape = subFields(bytes, t)
        .filter((d) => d.field === 1)
        .map((d) => {
          const dim = subFields(bytes, d);
          const value = dim.find((x) => x.field === 1);
          const param = dim.find((x) => x.field === 2);
          // An empty dim_param is an unnamed dim, as none at all.
          return value ? value.value : param ? fieldString(bytes, param) || null : null;
        });
    }
  }
  return { name, elemType, shape };
}

function graphOf(bytes: Uint8Array): { model: ProtoField[]; graph: ProtoField } {
  let model: ProtoField[];
  try {
    model = readFields(bytes);
  } catch (e) {
    throw new CheckpointFormatError(`Not an ONNX model: the bytes are not a protobuf message (${(e as Error).message}).`);
  }
  const graph = model.find((f) => f.field === MODEL_GRAPH && f.wire === 2);
  if (!graph) throw new CheckpointFormatError('Not an ONNX model: the file has no graph (ModelProto field 7).');
  return { model, graph };
}

/** @internal Reads the declarations of an `.onnx` file; weights and nodes stay undecoded. */
export function summarizeOnnxModel(bytes: Uint8Array): OnnxModelSummary {
  const { model, graph } = graphOf(bytes);
  let opset = 0;
  for (const f of model.filter((m) => m.field === MODEL_OPSET)) {
    const sub = subFields(bytes, f);
    const domain = sub.find((s) => s.field === 1);
    const name = domain ? fieldString(bytes, domain) : '';
    if (name === '' || name === 'ai.onnx') opset = sub.find((s) => s.field === 2)?.value ?? opset;
  }
  const fields = subFields(bytes, graph);
  const names = new Set<string>();
  const nodeNames = new Set<string>();
  for (const f of fields) {
    if (f.field === GRAPH.initializer) {
      const name = subFields(bytes, f).find((t) => t.field === 8);
      if (name) names.add(fieldString(bytes, name));
    } else if (f.field === GRAPH.node) {
      for (const o of subFields(bytes, f)) {
        if (o.field === 2) names.add(fieldString(bytes, o));
        else if (o.field === 3) nodeNames.add(fieldString(bytes, o));
      }
    }
  }
  const declared = (n: number) => fields.filter((f) => f.field === n).map((f) => valueSummary(bytes, f));
  const inputs = declared(GRAPH.input).filter((v) => !names.has(v.name));
  for (const v of inputs) names.add(v.name);
  const valueInfo = new Map(declared(GRAPH.valueInfo).map((v) => [v.name, v]));
  return { opset, inputs, outputs: declared(GRAPH.output), valueInfo, names, nodeNames };
}

/** @internal What {@link spliceImageFront} attaches. */
export interface SpliceSpec {
  /** The model's image input, replaced by dvme's pixel inputs. */
  readonly input: OnnxValueSummary;
  /** The value that becomes the embedding: a graph output or any intermediate value. */
  readonly output: string;
  /** Rank of `output` when known: 4 is global-average-pooled inside the graph. */
  readonly outputRank: number | null;
  readonly layout: 'NCHW' | 'NHWC';
  /** `[height, width]` the front produces. */
  readonly inputSize: readonly [number, number];
  readonly preprocess: Pick<PreprocessSpec, 'mean' | 'std' | 'interpolation'>;
}

const FLOAT32 = 1;
/** @internal The output a spliced model gets (a name exporters do not use, unlike `embedding`). */
export const SPLICED_OUTPUT = 'dvme_embedding';
const FLOAT16 = 10;

/**
 * @internal Rewrites an `.onnx` file so that it takes dvme's raw pixel inputs (see
 * `imageFrontGraph`) instead of its image input and outputs {@link SPLICED_OUTPUT}: the front's nodes go
 * before the model's and the pooling after them, every other field is copied byte for byte.
 */
export function spliceImageFront(bytes: Uint8Array, summary: OnnxModelSummary, spec: SpliceSpec): Uint8Array {
  const owner = 'Backbone.fromOnnx';
  if (spec.input.elemType !== FLOAT32 && spec.input.elemType !== FLOAT16) {
    throw new InvalidArgumentError(
      `${owner}: input '${spec.input.name}' has element type ${spec.input.elemType}; dvme feeds float32 (1) or float16 (10) images.`,
    );
  }
  const g = new GraphBuilder('dvme_splice');
  // dvme's made-up value and node names steer clear of the model's.
  g.reserve(summary.names);
  g.reserve(summary.nodeNames);
  const half = spec.input.elemType === FLOAT16;
  const frontOut = g.fresh('image_f32');
  const image = imageFrontGraph(g, spec.preprocess, { opset: summary.opset, layout: spec.layout, output: half ? frontOut : spec.input.name });
  if (half) {
    g.scope = 'dvme_preprocess';
    g.op('Cast', [image], { to: attr.int(FLOAT16) }, { outputs: [spec.input.name] });
  }
  // The front ends in an If, whose output shape onnxruntime cannot infer: state it (the model's
  // own batch dimension, the size dvme resamples to), so that every shape after it stays known.
  if (!summary.valueInfo.has(image)) {
    const [h, w] = spec.inputSize;
    const batch = spec.input.shape?.[0] ?? null;
    // Some exporters write 0 or -1 for a free batch: not a size to state.
    const n = typeof batch === 'string' || (typeof batch === 'number' && batch > 0) ? batch : 'dvme_batch';
    g.declare(image, 'float32', spec.layout === 'NCHW' ? [n, 3, h, w] : [n, h, w, 3]);
  }
  const frontNodes = g.nodeCount;
  g.scope = 'dvme_pool';
  let y = spec.output;
  if (spec.outputRank === 4) {
    const axes = spec.layout === 'NCHW' ? [2, 3] : [1, 2];
    y =
      summary.opset >= 18
        ? g.op('ReduceMean', [y, g.int64(axes)], { keepdims: attr.int(0) })
        : g.op('ReduceMean', [y], { axes: attr.ints(...axes), keepdims: attr.int(0) });
  }
  y = g.op('Cast', [y], { to: attr.int(FLOAT32) }, { outputs: [SPLICED_OUTPUT] });
  g.output(y, 'float32');
  const built = g.build();
  const clash =
    // dvme's pixel inputs may not share a name with anything of the model, its image input included.
    built.inputs.map((i) => i.name).find((n) => summary.names.has(n)) ??
    [...built.initializers.map((t) => t.name), ...built.nodes.flatMap((n) => n.outputs)].find((n) => n !== spec.input.name && summary.names.has(n)) ??
    built.nodes.map((n) => n.name ?? '').find((n) => summary.nodeNames.has(n));
  if (clash !== undefined) {
    throw new InvalidArgumentError(`${owner}: the model already has a value named '${clash}', which dvme's preprocessing needs.`);
  }
  const front = encodeGraphFields({ ...built, nodes: built.nodes.slice(0, frontNodes), outputs: [] });
  const tail = encodeGraphFields({ name: '', nodes: built.nodes.slice(frontNodes), initializers: [], inputs: [], outputs: built.outputs });
  const { model, graph } = graphOf(bytes);
  const kept = subFields(bytes, graph).filter((f) => {
    if (f.field === GRAPH.output) return false;
    if (f.field !== GRAPH.input) return true;
    return valueSummary(bytes, f).name !== spec.input.name;
  });
  const payload = [front, ...kept.map((f) => bytes.subarray(f.start, f.end)), tail];
  const header = new ProtoWriter();
  header.header(MODEL_GRAPH, payload.reduce((n, p) => n + p.length, 0));
  // One copy of the weights, straight into the result.
  return concatBytes(model.flatMap((f) => (f === graph ? [header.finish(), ...payload] : [bytes.subarray(f.start, f.end)])));
}

