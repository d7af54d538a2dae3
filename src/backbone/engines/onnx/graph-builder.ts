import type { OnnxAttribute, OnnxElementType, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx-model.js';

interface Shared {
  readonly used: Set<string>;
  readonly constants: Map<string, string>;
  readonly initializers: OnnxTensor[];
}

/** @internal An attribute value before it is given its name. */
export type AttributeValue = OnnxAttribute extends infer A ? (A extends OnnxAttribute ? Omit<A, 'name'> : never) : never;

/** @internal Attribute constructors, so that node calls read like the ONNX spec. */
export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (...value: number[]): AttributeValue => ({ kind: 'ints', value }),
  graph: (value: OnnxGraph): AttributeValue => ({ kind: 'graph', value }),
  floats: (...value: number[]): AttributeValue => ({ kind: 'floats', value }),
};

/** @internal Options of one node. */
export interface OpOptions {
  /** Output names, or how many outputs to name automatically. @defaultValue 1 */
  readonly outputs?: number | readonly string[];
  readonly domain?: string;
}

/**
 * @internal Assembles an {@link OnnxGraph} node by node with readable, unique value names
 * (`layer1.0.conv1/Conv`), which is what onnxruntime's profiler and error messages show.
 */
export class GraphBuilder {
  readonly #name: string;
  readonly #nodes: OnnxNode[] = [];
  readonly #initializers: OnnxTensor[];
  readonly #inputs: OnnxValueInfo[] = [];
  readonly #outputs: OnnxValueInfo[] = [];
  readonly #valueInfo: OnnxValueInfo[] = [];
  readonly #used: Set<string>;
  readonly #constants: Map<string, string>;
  /** Prefix of the names of the nodes added next: the PyTorch module being translated. */
  scope = '';

  constructor(name: string, shared?: Shared) {
    this.#name = name;
    this.#used = shared?.used ?? new Set();
    this.#constants = shared?.constants ?? new Map();
    this.#initializers = shared?.initializers ?? [];
  }

  /**
   * A subgraph (an `If` branch): its nodes are its own, while names, constants and weights are
   * shared with this graph, whose values the branch may read (ONNX's outer scope).
   */
  branch(name: string, body: (b: GraphBuilder) => string, type: OnnxElementType): OnnxGraph {
    const b = new GraphBuilder(name, { used: this.#used, constants: this.#constants, initializers: this.#initializers });
    b.scope = this.scope;
    b.output(body(b), type);
    return { ...b.build(), initializers: [] };
  }

  /** Keeps `names` (an existing model's values and nodes) out of the names this graph makes up. */
  reserve(names: Iterable<string>): void {
    for (const n of names) this.#used.add(n);
  }

  /** A name not used yet, based on `hint` under the current scope. */
  fresh(hint: string): string {
    const base = this.scope ? `${this.scope}/${hint}` : hint;
    let name = base;
    for (let i = 1; this.#used.has(name); i++) name = `${base}_${i}`;
    this.#used.add(name);
    return name;
  }

  /** Declares a graph input; returns its name. */
  input(name: string, type: OnnxElementType, shape: ReadonlyArray<number | string>): string {
    this.#used.add(name);
    this.#inputs.push({ name, type, shape });
    return name;
  }

  /** Declares `value` a graph output. */
  output(value: string, type: OnnxElementType, shape?: ReadonlyArray<number | string>): void {
    this.#outputs.push(shape ? { name: value, type, shape } : { name: value, type });
  }

  /**
   * Declares the type and shape of an intermediate value (`value_info`). onnxruntime plans
   * memory and fuses kernels from the shapes it knows: a value whose shape it cannot infer (an
   * `If`'s output) makes every shape after it unknown, which costs ResNet-50 about 7 %.
   */
  declare(value: string, type: OnnxElementType, shape: ReadonlyArray<number | string>): void {
    this.#valueInfo.push({ name: value, type, shape });
  }

  /** A weight, named after its PyTorch key so that a profile or netron shows where it came from. */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    const unique = this.#used.has(name) ? this.fresh(name) : (this.#used.add(name), name);
    this.#initializers.push({ name: unique, type: 'float32', dims, data });
    return unique;
  }

  /** A small int64 constant (shapes, axes), shared between the nodes that use the same values. */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.#constant('int64', values, dims, () => BigInt64Array.from(values, (v) => BigInt(v)));
  }

  /** A small float constant (a scale, a mean), shared like {@link GraphBuilder.int64}. */
  float(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.#constant('float32', values, dims, () => Float32Array.from(values));
  }

  #constant(type: OnnxElementType, values: readonly number[], dims: readonly number[], data: () => OnnxTensor['data']): string {
    const key = `${type}[${dims.join(',')}]:${values.join(',')}`;
    const known = this.#constants.get(key);
    if (known !== undefined) return known;
    const saved = this.scope;
    this.scope = '';
    const name = this.fresh(`dvme_const_${type}_${this.#constants.size}`);
    this.scope = saved;
    this.#initializers.push({ name, type, dims, data: data() });
    this.#constants.set(key, name);
    return name;
  }

  /** Adds a node with one output; returns the output's name. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, options: OpOptions = {}): string {
    return this.ops(opType, inputs, attributes, options)[0];
  }

  /** Adds a node; returns the names of all its outputs. */
  ops(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    options: OpOptions = {},
  ): string[] {
    const spec = options.outputs ?? 1;
    const outputs =
      typeof spec === 'number'
        ? Array.from({ length: spec }, (_, i) => this.fresh(spec === 1 ? opType : `${opType}_out${i}`))
        : [...spec];
    for (const o of outputs) this.#used.add(o);
    this.#nodes.push({
      opType,
      inputs,
      outputs,
      name: this.fresh(`${opType}_node`),
      ...(options.domain ? { domain: options.domain } : {}),
      attributes: Object.entries(attributes).map(([name, a]) => ({ name, ...a }) as OnnxAttribute),
    });
    return outputs;
  }

  /** Nodes added so far; `build().nodes.slice(n)` are those added after reading `n`. */
  get nodeCount(): number {
    return this.#nodes.length;
  }

  /** The graph so far. */
  build(): OnnxGraph {
    return {
      name: this.#name,
      nodes: [...this.#nodes],
      initializers: [...this.#initializers],
      inputs: [...this.#inputs],
      outputs: [...this.#outputs],
      ...(this.#valueInfo.length ? { valueInfo: [...this.#valueInfo] } : {}),
    };
  }
}
