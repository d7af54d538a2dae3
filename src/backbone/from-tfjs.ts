import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BackendUnavailableError, InvalidArgumentError, ShapeError } from '../errors/index.js';
import type { EmbeddingModel } from './backbone.js';
import { closeNames, quoteList } from './close-names.js';
import { resolveInputSize, type BackboneConfigInit } from './config.js';
import { loadTfjsArtifacts, tfjsModelKind, type TfjsModelSource } from './tfjs-artifacts.js';

export type { TfjsModelSource } from './tfjs-artifacts.js';

/**
 * Options of `Backbone.fromTfjs`: where the embedding is taken and how images are prepared.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import type { FromTfjsOptions } from 'dvme';
 * // nsfwjs' MobileNetV2: pixel / 255 in, the 1280-d pooled features out.
 * const options: FromTfjsOptions = { embeddingLayer: 'flatten_1', mean: [0, 0, 0], std: [1, 1, 1] };
 * ```
 */
export interface FromTfjsOptions extends Omit<BackboneConfigInit, 'inputSize' | 'embedding' | 'embeddingDim'> {
  /**
   * LayersModel layer whose output is the embedding (`model.summary()` lists them).
   * @defaultValue the model's single output
   */
  readonly embeddingLayer?: string;
  /**
   * GraphModel node whose output is the embedding (`'StatefulPartitionedCall/model/pool/Mean'`).
   * @defaultValue the model's single output node
   */
  readonly embeddingNode?: string;
  /**
   * `[height, width]` (or one number) images are resized to.
   * @defaultValue the model's input size, when the model fixes one
   */
  readonly inputSize?: number | readonly [number, number];
  /** Loading progress: the fraction of the model's files read so far. */
  readonly onProgress?: (fraction: number) => void;
  /** `fetch` used for http(s) sources. @defaultValue the global `fetch` */
  readonly fetch?: typeof fetch;
}

/** @internal A loaded tfjs model, reduced to an embedding function plus what it revealed. */
export interface LoadedTfjsModel {
  readonly model: EmbeddingModel & { readonly dispose: () => void };
  readonly id: string;
  readonly embedding: string;
  readonly embeddingDim: number;
  readonly inputSize: readonly [number, number];
}

/** `[h, w]` from a `[batch, h, w, c]` input shape when both are fixed (-1 and null are open). */
function fixedSize(shape: ReadonlyArray<number | null> | undefined): [number, number] | null {
  const h = shape?.[1];
  const w = shape?.[2];
  return shape?.length === 4 && typeof h === 'number' && h > 0 && typeof w === 'number' && w > 0 ? [h, w] : null;
}

function chooseInputSize(
  owner: string,
  id: string,
  requested: FromTfjsOptions['inputSize'],
  fixed: [number, number] | null,
): [number, number] {
  if (requested === undefined) {
    if (fixed) return fixed;
    throw new InvalidArgumentError(`${owner}: ${id} accepts any image size; pass inputSize (e.g. 224) to say which to resize to.`);
  }
  const size = resolveInputSize(owner, requested);
  if (fixed && (fixed[0] !== size[0] || fixed[1] !== size[1])) {
    throw new ShapeError(
      `${owner}: inputSize [${size.join(', ')}] does not match ${id}'s fixed input [${fixed.join(', ')}]; ` +
        "omit inputSize to use the model's.",
    );
  }
  return size;
}

/** `[b, d]` -> d; `[b, h, w, d]` -> d (pooled later); anything else is not an embedding. */
function embeddingWidth(owner: string, what: string, shape: ReadonlyArray<number | null>, hint: () => string): number {
  const last = shape[shape.length - 1];
  if ((shape.length !== 2 && shape.length !== 4) || typeof last !== 'number' || last < 1) {
    throw new ShapeError(
      `${owner}: ${what} has shape [${shape.map((d) => d ?? 'null').join(', ')}]; ` +
        `an embedding must be [b, d] or a feature map [b, h, w, d] (average-pooled). ${hint()}`,
    );
  }
  return last;
}

function loadLayers(owner: string, id: string, model: tfl.LayersModel, options: FromTfjsOptions): LoadedTfjsModel {
  if (options.embeddingNode !== undefined) {
    throw new InvalidArgumentError(`${owner}: ${id} is a LayersModel; name its embedding with embeddingLayer, not embeddingNode.`);
  }
  if (model.inputs.length !== 1) {
    throw new InvalidArgumentError(`${owner}: ${id} has ${model.inputs.length} inputs; a backbone takes one image input.`);
  }
  const names = model.layers.map((l) => l.name);
  const poolingHint = () => {
    const near = names.filter((n) => /pool|flatten|avg|gap/i.test(n)).slice(-5);
    return near.length ? `Pooled layers of this model: ${quoteList(near)}.` : `Its last layers: ${quoteList(names.slice(-5))}.`;
  };
  let output: tfl.SymbolicTensor;
  let embedding = 'output';
  const name = options.embeddingLayer;
  if (name !== undefined) {
    const layer = model.layers.find((l) => l.name === name);
    if (!layer) {
      throw new InvalidArgumentError(
        `${owner}: ${id} has no layer ${JSON.stringify(name)}. Close names: ${quoteList(closeNames(String(name), names))}. ` +
          `It has ${names.length} layers; the last are ${quoteList(names.slice(-4))}.`,
      );
    }
    let out: tfl.SymbolicTensor | tfl.SymbolicTensor[];
    try {
      out = layer.output;
    } catch (e) {
      throw new InvalidArgumentError(
        `${owner}: layer '${name}' of ${id} is shared (used more than once), so it has no single output.`,
        { cause: e },
      );
    }
    if (Array.isArray(out)) {
      throw new InvalidArgumentError(`${owner}: layer '${name}' of ${id} has ${out.length} outputs; pick a layer with one.`);
    }
    output = out;
    embedding = `layer:${name}`;
  } else {
    if (model.outputs.length !== 1) {
      throw new InvalidArgumentError(`${owner}: ${id} has ${model.outputs.length} outputs; pass embeddingLayer to pick the embedding.`);
    }
    output = model.outputs[0] as tfl.SymbolicTensor;
  }
  const embeddingDim = embeddingWidth(owner, `the output of ${name === undefined ? id : `layer '${name}'`}`, output.shape, poolingHint);
  if (output.shape.length === 4) embedding += '+avgpool';
  const inputSize = chooseInputSize(owner, id, options.inputSize, fixedSize(model.inputs[0]?.shape));
  // Layers are shared with the full model, which owns (and frees) the weights.
  const sub = output === model.outputs[0] ? model : tfl.model({ inputs: model.inputs, outputs: output });
  model.trainable = false;
  return {
    model: {
      forward: (x) => sub.predict(x, { batchSize: x.shape[0] }) as tf.Tensor,
      dispose: () => model.dispose(),
    },
    id,
    embedding,
    embeddingDim,
    inputSize,
  };
}

type Converter = typeof import('@tensorflow/tfjs-converter');
type GraphModel = Awaited<ReturnType<Converter['loadGraphModel']>>;

async function importConverter(owner: string): Promise<Converter> {
  try {
    return await import('@tensorflow/tfjs-converter');
  } catch (e) {
    throw new BackendUnavailableError(
      `${owner}: this model is a tfjs GraphModel, which needs @tensorflow/tfjs-converter: npm install @tensorflow/tfjs-converter`,
      { cause: e },
    );
  }
}

function loadGraph(owner: string, id: string, model: GraphModel, nodeNames: readonly string[], options: FromTfjsOptions): LoadedTfjsModel {
  if (options.embeddingLayer !== undefined) {
    throw new InvalidArgumentError(`${owner}: ${id} is a GraphModel; name its embedding with embeddingNode, not embeddingLayer.`);
  }
  if (model.inputs.length !== 1) {
    throw new InvalidArgumentError(`${owner}: ${id} has ${model.inputs.length} inputs; a backbone takes one image input.`);
  }
  let node = options.embeddingNode;
  if (node === undefined) {
    if (model.outputNodes.length !== 1) {
      throw new InvalidArgumentError(
        `${owner}: ${id} has ${model.outputNodes.length} output nodes (${quoteList(model.outputNodes)}); pass embeddingNode to pick one.`,
      );
    }
    node = model.outputNodes[0] as string;
  } else if (!nodeNames.includes(node.replace(/:\d+$/, ''))) {
    throw new InvalidArgumentError(
      `${owner}: ${id} has no node ${JSON.stringify(node)}. Close names: ${quoteList(closeNames(node, nodeNames))}. ` +
        `Its outputs: ${quoteList(model.outputNodes)}.`,
    );
  }
  const outputNode = node;
  const inputSize = chooseInputSize(owner, id, options.inputSize, fixedSize(model.inputs[0]?.shape));
  const forward = (x: tf.Tensor4D) => model.execute(x, outputNode) as tf.Tensor;
  // A graph's output shapes are often unknown until it runs; one blank image settles the width.
  let shape: number[];
  try {
    shape = tf.tidy(() => forward(tf.zeros([1, inputSize[0], inputSize[1], 3])).shape);
  } catch (e) {
    throw new InvalidArgumentError(
      `${owner}: running ${id} up to node '${outputNode}' failed (${e instanceof Error ? e.message : String(e)}). ` +
        'Graphs with control flow need executeAsync, which backbones do not support yet.',
      { cause: e },
    );
  }
  const embeddingDim = embeddingWidth(owner, `node '${outputNode}'`, shape, () => `Its outputs: ${quoteList(model.outputNodes)}.`);
  return {
    model: { forward, dispose: () => model.dispose() },
    id,
    embedding: `node:${outputNode}${shape.length === 4 ? '+avgpool' : ''}`,
    embeddingDim,
    inputSize,
  };
}

/**
 * @internal Loads a tfjs LayersModel or GraphModel and cuts it at the embedding; the
 * `Backbone.fromTfjs` body, kept apart so that this module does not import `Backbone`.
 */
export async function loadTfjsEmbeddingModel(
  owner: string,
  source: TfjsModelSource,
  options: FromTfjsOptions,
): Promise<LoadedTfjsModel> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${owner}: options with at least mean and std are required; received ${JSON.stringify(options)}.`);
  }
  const { artifacts, id } = await loadTfjsArtifacts(owner, source, options);
  const kind = tfjsModelKind(owner, id, artifacts);
  const handler: tf.io.IOHandler = { load: () => Promise.resolve(artifacts) };
  if (kind === 'layers') {
    const model = await tfl.loadLayersModel(handler);
    try {
      return loadLayers(owner, id, model, options);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  const converter = await importConverter(owner);
  const model = await converter.loadGraphModel(handler);
  const topology = artifacts.modelTopology as { node?: Array<{ name?: string }> };
  const nodeNames = (topology.node ?? []).map((n) => n.name ?? '');
  try {
    return loadGraph(owner, id, model, nodeNames, options);
  } catch (e) {
    model.dispose();
    throw e;
  }
}
