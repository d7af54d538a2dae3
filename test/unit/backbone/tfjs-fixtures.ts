/**
 * Tiny tfjs models for the fromTfjs tests, built in memory so the tests run offline and fast:
 * a LayersModel saved through tfjs itself, and a hand-written GraphModel (what the
 * tensorflowjs converter emits: GraphDef JSON plus a weights manifest).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** image [8, 8, 3] -> conv 'conv' (6) -> 'pool' (global average) -> dense 'head' (5). */
export function tinyLayersModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  const conv = tfl.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', name: 'conv', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) });
  const pool = tfl.layers.globalAveragePooling2d({ name: 'pool' });
  const head = tfl.layers.dense({ units: 5, name: 'head', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) });
  return tfl.model({ inputs: input, outputs: head.apply(pool.apply(conv.apply(input))) as tfl.SymbolicTensor });
}

/** Any-size input -> 'tokens' [16, 3] -> 'gap1d': a rank-3 layer that is no embedding. */
export function tokenModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [4, 4, 3] });
  const tokens = tfl.layers.reshape({ targetShape: [16, 3], name: 'tokens' });
  const gap = tfl.layers.globalAveragePooling1d({ name: 'gap1d' });
  return tfl.model({ inputs: input, outputs: gap.apply(tokens.apply(input)) as tfl.SymbolicTensor });
}

/** The artifacts `model.save` produces, captured in memory. */
export async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved as tf.io.ModelArtifacts;
}

/** Writes artifacts as model.json + `shards` weight files in a fresh temp folder. */
export function writeModelFolder(artifacts: tf.io.ModelArtifacts, shards = 2): string {
  const dir = mkdtempSync(join(tmpdir(), 'dvme-tfjs-'));
  const bytes = new Uint8Array(artifacts.weightData as ArrayBuffer);
  const paths: string[] = [];
  const step = Math.ceil(bytes.length / shards);
  for (let i = 0; i < shards; i++) {
    const name = `group1-shard${i + 1}of${shards}.bin`;
    writeFileSync(join(dir, name), bytes.subarray(i * step, (i + 1) * step));
    paths.push(name);
  }
  const json = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dims = (shape: number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });
const constNode = (name: string, dtype: 'DT_FLOAT' | 'DT_INT32', shape: number[]) => ({
  name,
  op: 'Const',
  attr: { value: { tensor: { dtype, tensorShape: dims(shape) } }, dtype: { type: dtype } },
});

/** 1x1 conv weights [1, 1, 3, 2] and head weights [2, 3] of {@link tinyGraphArtifacts}. */
export const GRAPH_CONV = [1, 0, 0.5, 0, 1, -0.5];
export const GRAPH_HEAD = [1, 2, 3, 4, 5, 6];

/**
 * A converted-style GraphModel: image [-1, 4, 4, 3] -> 'features' (1x1 conv, 2 channels) ->
 * 'pooled' (Mean over H, W) -> 'logits' (MatMul, 3).
 */
export function tinyGraphArtifacts(): tf.io.ModelArtifacts {
  const floats = new Float32Array([...GRAPH_CONV, ...GRAPH_HEAD]);
  const ints = new Int32Array([1, 2]);
  const weightData = new Uint8Array(floats.byteLength + ints.byteLength);
  weightData.set(new Uint8Array(floats.buffer), 0);
  weightData.set(new Uint8Array(ints.buffer), floats.byteLength);
  return {
    format: 'graph-model',
    generatedBy: 'hand-written for dvme tests',
    convertedBy: null,
    modelTopology: {
      node: [
        { name: 'image', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dims([-1, 4, 4, 3]) } } },
        constNode('conv_w', 'DT_FLOAT', [1, 1, 3, 2]),
        constNode('head_w', 'DT_FLOAT', [2, 3]),
        constNode('axes', 'DT_INT32', [2]),
        {
          name: 'features',
          op: 'Conv2D',
          input: ['image', 'conv_w'],
          attr: {
            T: { type: 'DT_FLOAT' },
            strides: { list: { i: ['1', '1', '1', '1'] } },
            dilations: { list: { i: ['1', '1', '1', '1'] } },
            padding: { s: b64('VALID') },
            data_format: { s: b64('NHWC') },
          },
        },
        { name: 'pooled', op: 'Mean', input: ['features', 'axes'], attr: { T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
        { name: 'logits', op: 'MatMul', input: ['pooled', 'head_w'], attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } } },
      ],
      library: {},
      versions: { producer: 1 },
    },
    weightSpecs: [
      { name: 'conv_w', shape: [1, 1, 3, 2], dtype: 'float32' },
      { name: 'head_w', shape: [2, 3], dtype: 'float32' },
      { name: 'axes', shape: [2], dtype: 'int32' },
    ],
    weightData: weightData.buffer,
  };
}
