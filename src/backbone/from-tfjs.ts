import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BackendUnavailableError, InvalidArgumentError, ShapeError } from '../errors/index.js';
import type { EmbeddingModel } from './engines/tfjs/embedding-model.js';
import { trainableSourceOf, withTrainableSource } from './engines/tfjs/trainable-source.js';
import { textSha256 } from './text-sha256.js';
import { tfjsWeightsKey } from './engines/tfjs/weights-key.js';
import { closeNames, quoteList } from './close-names.js';
import { resolveInputSize } from '../image/preprocess-spec.js';
import { type BackboneConfigInit } from './config.js';
import { importPeer } from '../host/peers.js';
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
  /**
   * Run a LayersModel with a fixed input size at `inputSize` instead: the input layer's
   * `batch_input_shape` is rewritten before the model is built, and pooling layers that cover
   * the whole final feature map at the model's own size become global poolings (Keras
   * applications such as nsfwjs' MobileNetV2 and InceptionV3 end in such an
   * `AveragePooling2D`). Weights are unchanged. Models whose layers need the fixed size (a
   * `Flatten` or `Reshape` of a spatial map, a `Dense` on a 4-D tensor) are refused with a
   * {@link ShapeError}. Small inputs are much faster; for 28 x 28 MedMNIST images a 96 - 160
   * input loses no image detail.
   * @defaultValue `false`: a different `inputSize` is a {@link ShapeError}
   */
  readonly adaptInputSize?: boolean;
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
        "omit inputSize to use the model's, or pass adaptInputSize: true to run a fully convolutional LayersModel at this size.",
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
    model: withTrainableSource(
      {
        forward: (x) => sub.predict(x, { batchSize: x.shape[0] }) as tf.Tensor,
        dispose: () => model.dispose(),
      },
      { model: sub },
    ),
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
    // By name: a literal import() would fail the bundling of apps that lack this optional peer.
    return (await importPeer('@tensorflow/tfjs-converter')) as Converter;
  } catch (e) {
    throw new BackendUnavailableError(
      `${owner}: this model is a tfjs GraphModel, which needs @tensorflow/tfjs-converter, and importing it failed ` +
        `(${e instanceof Error ? e.message.split('\n')[0] : String(e)}). Install it (npm install @tensorflow/tfjs-converter); ` +
        "in a bundled browser app, also hand it to dvme: initBackend({ converter: () => import('@tensorflow/tfjs-converter') }).",
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
    model: withTrainableSource(
      { forward, dispose: () => model.dispose() },
      { unavailable: 'it is a tfjs GraphModel (frozen, inference only); load a LayersModel export of it, or a checkpoint with Backbone.fromCheckpoint' },
    ),
    id,
    embedding: `node:${outputNode}${shape.length === 4 ? '+avgpool' : ''}`,
    embeddingDim,
    inputSize,
  };
}

/** The embedding cache's weights key: the loaded weights, hashed the first time a cache asks. */
function withWeightsKey(loaded: LoadedTfjsModel, weightsKey: (() => Promise<string>) | undefined): LoadedTfjsModel {
  const model = { ...loaded.model, ...(weightsKey ? { weightsKey } : {}) };
  // The copy keeps what the model offers for training.
  const source = trainableSourceOf(loaded.model);
  return { ...loaded, model: source ? withTrainableSource(model, source) : model };
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
    let model = await tfl.loadLayersModel(handler);
    try {
      if (options.adaptInputSize && options.inputSize !== undefined) {
        const size = resolveInputSize(owner, options.inputSize);
        const fixed = fixedSize(model.inputs[0]?.shape);
        if (fixed && (fixed[0] !== size[0] || fixed[1] !== size[1])) {
          const topology = resizedTopology(owner, id, model, artifacts.modelTopology, size);
          const resized = await loadResized(owner, id, { ...artifacts, modelTopology: topology }, size);
          model.dispose();
          model = resized;
        }
      }
      return withWeightsKey(loadLayers(owner, id, model, options), tfjsWeightsKey(model));
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
    return withWeightsKey(loadGraph(owner, id, model, nodeNames, options), tfjsWeightsKey(model, textSha256(JSON.stringify(topology))));
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Classes that keep working at any spatial size (their weights do not depend on it). */
const SPATIAL_POOLS: Readonly<Record<string, string>> = {
  AveragePooling2D: 'GlobalAveragePooling2D',
  MaxPooling2D: 'GlobalMaxPooling2D',
};

/** Input shape of a layer applied once, else undefined. */
function inputShapeOf(layer: tfl.layers.Layer): ReadonlyArray<number | null> | undefined {
  try {
    const input = layer.input;
    return Array.isArray(input) ? undefined : input.shape;
  } catch {
    return undefined;
  }
}

/**
 * @internal The LayersModel topology JSON rewritten for a new input size: the input's
 * `batch_input_shape` set to `size`, whole-map poolings made global. Throws a ShapeError naming
 * the first layer that needs the fixed size.
 */
export function resizedTopology(
  owner: string,
  id: string,
  model: tfl.LayersModel,
  topology: unknown,
  size: readonly [number, number],
): object {
  const refuse = (layer: tfl.layers.Layer, why: string): never => {
    throw new ShapeError(
      `${owner}: ${id} cannot run at inputSize [${size.join(', ')}]: its layer '${layer.name}' (${layer.getClassName()}) ${why}, ` +
        `so it needs the model's own input size [${String(fixedSize(model.inputs[0]?.shape))}]. ` +
        'Omit inputSize (and adaptInputSize) to use that size.',
    );
  };
  const globalise = new Set<string>();
  // Flattens of a globalised pool: tfjs' Flatten refuses the pool's 2-D output, and on a
  // [b, 1, 1, c] map it was the identity anyway, so it becomes a linear Activation.
  const identities = new Set<string>();
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const shape = inputShapeOf(layer);
    const spatial = shape?.length === 4 && ((shape[1] ?? 0) > 1 || (shape[2] ?? 0) > 1);
    if (cls === 'Flatten' && shape?.length === 4) {
      const from = layer.inboundNodes[0]?.inboundLayers[0]?.name;
      if (!spatial && from !== undefined && globalise.has(from)) identities.add(layer.name);
      else refuse(layer, 'flattens a spatial feature map');
    }
    if (cls === 'Reshape' && shape && shape.length >= 3) refuse(layer, 'reshapes a spatial tensor to a fixed shape');
    if (cls === 'Dense' && shape && shape.length > 2) refuse(layer, `is applied to a ${shape.length}-D tensor`);
    if (cls in SPATIAL_POOLS) {
      const out = layer.output as tfl.SymbolicTensor;
      const covers = shape?.length === 4 && out.shape[1] === 1 && out.shape[2] === 1;
      // Strided poolings inside the network work at any size; one that pools the whole final
      // map is a global pool with the map size written in, and becomes a true global pool.
      if (covers) globalise.add(layer.name);
    }
    if (cls === 'Functional' || cls === 'Model' || cls === 'Sequential') refuse(layer, 'is a nested model');
  }
  const copy = structuredClone(topology) as Record<string, unknown>;
  const config = ((copy.model_config as Record<string, unknown> | undefined) ?? copy).config as
    | { layers?: Array<{ class_name: string; config: Record<string, unknown> }> }
    | undefined;
  const layers = config?.layers;
  if (!Array.isArray(layers)) {
    throw new ShapeError(`${owner}: ${id}'s topology has no layer list to rewrite for inputSize [${size.join(', ')}].`);
  }
  let rewritten = false;
  for (const l of layers) {
    const shape = l.config.batch_input_shape as Array<number | null> | undefined;
    if (Array.isArray(shape) && shape.length === 4 && !rewritten) {
      l.config.batch_input_shape = [shape[0], size[0], size[1], shape[3]];
      rewritten = true;
    }
    const name = l.config.name as string;
    const common = { name, trainable: l.config.trainable ?? false, dtype: l.config.dtype ?? 'float32' };
    if (globalise.has(name)) {
      l.class_name = SPATIAL_POOLS[l.class_name] as string;
      l.config = { ...common, data_format: l.config.data_format ?? 'channels_last' };
    } else if (identities.has(name)) {
      l.class_name = 'Activation';
      l.config = { ...common, activation: 'linear' };
    }
  }
  if (!rewritten) throw new ShapeError(`${owner}: ${id}'s topology has no 4-D batch_input_shape to rewrite.`);
  return copy;
}

/** Builds the rewritten model; a size too small for its strides is a ShapeError. */
async function loadResized(owner: string, id: string, artifacts: tf.io.ModelArtifacts, size: readonly [number, number]): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel({ load: () => Promise.resolve(artifacts) });
  } catch (e) {
    throw new ShapeError(
      `${owner}: ${id} does not build at inputSize [${size.join(', ')}] (${e instanceof Error ? e.message : String(e)}). ` +
        'Either the size is too small for its strides (try a larger inputSize) or a layer needs the fixed size.',
      { cause: e },
    );
  }
}
