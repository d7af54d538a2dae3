import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKBONE_ARCHITECTURES, listArchitectures } from '../../../src/backbone/architectures.js';
import { Backbone } from '../../../src/backbone/backbone.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { loadParityFixture } from './arch/fixture.js';
import {
  CHECKPOINT_DIR,
  checkpointBytes,
  customArch,
  manifest,
  relativeError,
  sizeOptions,
  testImages,
  writeSafetensors,
  type Family,
} from './from-checkpoint-fixtures.js';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPlatform(nodePlatform);
});
afterEach(() => {
  tf.disposeVariables();
});

async function embedAll(b: Backbone, family: Family): Promise<Float32Array> {
  const m = await b.embed(testImages(family), { as: 'array' });
  return m.data;
}

describe('Backbone.fromCheckpoint on every layout and format (torch parity)', () => {
  it.each(Object.entries(manifest.files))('%s', async (name, want) => {
    const before = tf.memory().numTensors;
    const b = await Backbone.fromCheckpoint(customArch(want.family), checkpointBytes(name), sizeOptions(want.family));
    const report = b.loadReport!;
    expect(report.format).toBe(want.format);
    expect(report.layout.id).toBe(want.layout);
    expect(report.layout.prefix).toBe(want.prefix);
    expect(report.dtypes).toEqual([want.dtype]);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    if (want.ignored) {
      const counters = (k: string) => k.endsWith('num_batches_tracked');
      expect(report.ignored.filter((k) => !counters(k)).sort()).toEqual(want.ignored.filter((k) => !counters(k)));
    }
    const mode = want.family === 'resnet' ? 'avgpool' : 'lastBlocksCls4';
    expect(b.config.embedding).toBe(mode);
    expect(relativeError(await embedAll(b, want.family), want.expected[mode])).toBeLessThan(TOLERANCE);
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('offers every ViT embedding, each equal to DINO eval_linear', async () => {
    const want = manifest.files['vit-timm.safetensors'];
    const dim = manifest.configs.vit.dim as number;
    const cases = [
      [{ embedding: 'cls' }, 'cls', dim],
      [{ embedding: 'avgpool' }, 'avgpool', dim],
      [{ embedding: 'cls+avgpool' }, 'cls+avgpool', 2 * dim],
      [{ embedding: 'lastBlocksCls', lastBlocks: 2 }, 'lastBlocksCls2', 2 * dim],
      [{}, 'lastBlocksCls4', 4 * dim],
    ] as const;
    for (const [options, mode, size] of cases) {
      const b = await Backbone.fromCheckpoint(customArch('vit'), checkpointBytes('vit-timm.safetensors'), { ...sizeOptions('vit'), ...options });
      expect(b.embeddingDim).toBe(size);
      expect(b.config.embedding).toBe(mode);
      expect(relativeError(await embedAll(b, 'vit'), want.expected[mode]), mode).toBeLessThan(TOLERANCE);
      b.dispose();
    }
  });

  it("loads DINO's teacher by default, and the student with checkpointKey", async () => {
    const want = manifest.files['vit-dino-full.pth'];
    const teacher = await Backbone.fromCheckpoint(customArch('vit'), checkpointBytes('vit-dino-full.pth'), sizeOptions('vit'));
    expect(teacher.loadReport!.layout).toMatchObject({ container: 'teacher', keyPrefix: 'backbone.' });
    expect(teacher.loadReport!.alternatives).toEqual([want.student!.prefix]);
    teacher.dispose();
    const student = await Backbone.fromCheckpoint(customArch('vit'), checkpointBytes('vit-dino-full.pth'), {
      ...sizeOptions('vit'),
      checkpointKey: 'student',
    });
    expect(student.loadReport!.layout).toMatchObject({ id: 'dino', container: 'student', keyPrefix: 'module.backbone.' });
    expect(relativeError(await embedAll(student, 'vit'), want.student!.expected.lastBlocksCls4)).toBeLessThan(TOLERANCE);
    student.dispose();
  });

  it('reports where the VISSL trunk and SwAV weights sit', async () => {
    const vissl = await Backbone.fromCheckpoint(customArch('resnet'), checkpointBytes('resnet-vissl.torch'), sizeOptions('resnet'));
    expect(vissl.loadReport!.layout).toMatchObject({
      id: 'vissl',
      container: 'classy_state_dict.base_model.model.trunk',
      keyPrefix: '_feature_blocks.',
    });
    vissl.dispose();
    const swav = await Backbone.fromCheckpoint(customArch('resnet'), checkpointBytes('resnet-swav.pth.tar'), sizeOptions('resnet'));
    expect(swav.loadReport!.layout).toMatchObject({ id: 'ddp', container: 'state_dict', keyPrefix: 'module.' });
    expect(swav.loadReport!.layout.description).toMatch(/SwAV/);
    swav.dispose();
  });
});

describe('Backbone.fromCheckpoint sources', () => {
  const name = 'resnet-fp16.safetensors';
  const want = manifest.files[name].expected.avgpool;

  it('reads a path, a file:// URL, an ArrayBuffer, a Uint8Array and a DataView alike', async () => {
    const bytes = checkpointBytes(name);
    const sources = [
      `${CHECKPOINT_DIR}${name}`,
      pathToFileURL(`${CHECKPOINT_DIR}${name}`).href,
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      bytes,
      new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ];
    for (const source of sources) {
      const b = await Backbone.fromCheckpoint(customArch('resnet'), source, sizeOptions('resnet'));
      expect(relativeError(await embedAll(b, 'resnet'), want)).toBeLessThan(TOLERANCE);
      expect(b.loadReport!.source).toBe(typeof source === 'string' ? source : `${bytes.length} bytes`);
      b.dispose();
    }
  });

  it('downloads http(s) URLs through the given fetch, streaming progress up to 1', async () => {
    const bytes = checkpointBytes(name);
    const urls: string[] = [];
    const fetchStub = (async (url: string) => {
      urls.push(url);
      const half = bytes.length >> 1;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(bytes.slice(0, half));
          c.enqueue(bytes.slice(half));
          c.close();
        },
      });
      return new Response(body, { headers: { 'content-length': String(bytes.length) } });
    }) as typeof fetch;
    const progress: number[] = [];
    const url = 'https://example.org/w/resnet.safetensors';
    const b = await Backbone.fromCheckpoint(customArch('resnet'), url, {
      ...sizeOptions('resnet'),
      fetch: fetchStub,
      onProgress: (f) => progress.push(f),
    });
    expect(urls).toEqual([url]);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1])).toBe(true);
    expect(progress.at(-1)).toBe(1);
    expect(relativeError(await embedAll(b, 'resnet'), want)).toBeLessThan(TOLERANCE);
    b.dispose();
  });
});

describe('the architecture table', () => {
  /** A safetensors file of a parity fixture's state dict (scripts/fixtures/backbone_parity.py). */
  const stateFile = (stem: 'resnet-tiny' | 'vit-tiny') => writeSafetensors(loadParityFixture(stem).state());
  const raw = { mean: [0, 0, 0], std: [1, 1, 1], resize: 'none' } as const;

  it('test_resnet_tiny is the parity fixture ResNet, with torchvision defaults', async () => {
    const fixture = loadParityFixture('resnet-tiny');
    const b = await Backbone.fromCheckpoint('test_resnet_tiny', stateFile('resnet-tiny'), raw);
    expect(b.config).toMatchObject({ id: 'test_resnet_tiny', inputSize: [32, 32], interpolation: 'bilinear', embedding: 'avgpool' });
    const x = fixture.get('input/square');
    const y = await b.embed({ data: x.data, shape: x.shape }, { as: 'array' });
    const want = fixture.get('output/square/avgpool');
    expect(relativeError(y.data, [Array.from(want.data)])).toBeLessThan(TOLERANCE);
    b.dispose();
  });

  it('folds ResNet batch norms into the convolutions by default; foldBatchNorm: false runs the layers model; both equal torch', async () => {
    const fixture = loadParityFixture('resnet-tiny');
    const x = fixture.get('input/square');
    const want = [Array.from(fixture.get('output/square/avgpool').data)];
    const before = tf.memory().numTensors;
    const folded = await Backbone.fromCheckpoint('test_resnet_tiny', stateFile('resnet-tiny'), { ...raw, engine: 'tfjs' });
    const layers = await Backbone.fromCheckpoint('test_resnet_tiny', stateFile('resnet-tiny'), { ...raw, engine: 'tfjs', foldBatchNorm: false });
    const a = await folded.embed({ data: x.data, shape: x.shape }, { as: 'array' });
    const b = await layers.embed({ data: x.data, shape: x.shape }, { as: 'array' });
    const errFolded = relativeError(a.data, want);
    const errLayers = relativeError(b.data, want);
    console.log(`resnet-tiny vs torch: folded ${errFolded.toExponential(2)}, layers ${errLayers.toExponential(2)}, folded vs layers ${relativeError(a.data, [Array.from(b.data)]).toExponential(2)}`);
    expect(errFolded).toBeLessThan(1e-5);
    expect(errLayers).toBeLessThan(1e-5);
    expect(relativeError(a.data, [Array.from(b.data)])).toBeLessThan(1e-5);
    // The two compute differently (to rounding), so their cache keys differ.
    expect(await folded.fingerprint()).not.toBe(await layers.fingerprint());
    // The folded forward frees each block's activations as it goes, as the layers model does:
    // one tidy around the whole network held them all (1.8 GB for ResNet-50 at batch 16).
    const batch = { data: new Float32Array(4 * x.data.length).map((_, i) => x.data[i % x.data.length]!), shape: [4 * x.shape[0]!, ...x.shape.slice(1)] };
    const peak = async (bb: Backbone) => (await tf.profile(async () => (await bb.embed(batch, { as: 'array' }), []))).peakBytes;
    const [peakFolded, peakLayers] = [await peak(folded), await peak(layers)];
    console.log(`resnet-tiny, batch ${batch.shape[0]}, peak bytes: folded ${peakFolded}, layers ${peakLayers}`);
    expect(peakFolded).toBeLessThanOrEqual(peakLayers);
    folded.dispose();
    layers.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('folds a partial ResNet (strict: false) with the initial values of its missing weights, as the layers model runs it', async () => {
    const fixture = loadParityFixture('resnet-tiny');
    const x = fixture.get('input/square');
    const state = new Map(fixture.state());
    // Batch-norm buffers start deterministic (variance 1, mean 0), so both engines agree on them.
    state.delete('layer1.0.bn2.running_var');
    state.delete('layer2.0.downsample.1.running_mean');
    const bytes = writeSafetensors(state);
    const before = tf.memory().numTensors;
    const options = { ...raw, engine: 'tfjs', strict: false } as const;
    const folded = await Backbone.fromCheckpoint('test_resnet_tiny', bytes, options);
    const layers = await Backbone.fromCheckpoint('test_resnet_tiny', bytes, { ...options, foldBatchNorm: false });
    expect(folded.loadReport?.missing).toEqual(['layer1.0.bn2.running_var', 'layer2.0.downsample.1.running_mean']);
    const a = await folded.embed({ data: x.data, shape: x.shape }, { as: 'array' });
    const b = await layers.embed({ data: x.data, shape: x.shape }, { as: 'array' });
    expect(relativeError(a.data, [Array.from(b.data)])).toBeLessThan(1e-5);
    // The missing weights changed the function: it is no longer the checkpoint's.
    expect(relativeError(a.data, [Array.from(fixture.get('output/square/avgpool').data)])).toBeGreaterThan(1e-3);
    folded.dispose();
    layers.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('test_vit_tiny_patch8 is the parity fixture ViT, with DINO defaults', async () => {
    const fixture = loadParityFixture('vit-tiny');
    const b = await Backbone.fromCheckpoint('test_vit_tiny_patch8', stateFile('vit-tiny'), raw);
    expect(b.config).toMatchObject({ inputSize: [32, 32], interpolation: 'bicubic', resize: 'none', embedding: 'lastBlocksCls4' });
    expect(b.embeddingDim).toBe(4 * 32);
    const x = fixture.get('input/native');
    const y = await b.embed({ data: x.data, shape: x.shape }, { as: 'array' });
    expect(relativeError(y.data, [Array.from(fixture.get('output/native/lastBlocksCls4').data)])).toBeLessThan(TOLERANCE);
    b.dispose();
  });

  it('gives the paper backbones their evaluation defaults', () => {
    expect(listArchitectures()).toEqual(Object.keys(BACKBONE_ARCHITECTURES));
    expect(BACKBONE_ARCHITECTURES.resnet50).toMatchObject({ family: 'resnet', inputSize: 224, interpolation: 'bilinear', embedding: 'avgpool' });
    expect(BACKBONE_ARCHITECTURES.vit_small_patch8).toMatchObject({ inputSize: 224, interpolation: 'bicubic', embedding: 'lastBlocksCls', lastBlocks: 4 });
    expect(BACKBONE_ARCHITECTURES.vit_small_patch8.config).toMatchObject({ patchSize: 8, dim: 384 });
    expect(BACKBONE_ARCHITECTURES.vit_base_patch16).toMatchObject({ embedding: 'cls+avgpool', config: { patchSize: 16, dim: 768 } });
    expect(Object.isFrozen(BACKBONE_ARCHITECTURES) && Object.isFrozen(BACKBONE_ARCHITECTURES.resnet50.config)).toBe(true);
  });

  it('resolves preprocessing defaults: ImageNet mean / std, shorter-then-crop 0.875', async () => {
    const b = await Backbone.fromCheckpoint(customArch('vit'), checkpointBytes('vit-timm.safetensors'));
    expect(b.config).toEqual({
      id: 'custom_vit', inputSize: [16, 16], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
      resize: 'shorter-then-crop', cropFraction: 0.875, interpolation: 'bicubic', embedding: 'lastBlocksCls4', embeddingDim: 32,
    });
    b.dispose();
    const named = await Backbone.fromCheckpoint({ ...customArch('resnet'), name: 'micro' }, checkpointBytes('resnet-fp16.safetensors'), {
      id: 'mine', inputSize: [40, 48], cropFraction: 1, interpolation: 'bicubic',
    });
    expect(named.config).toMatchObject({ id: 'mine', inputSize: [40, 48], cropFraction: 1, interpolation: 'bicubic', embeddingDim: 64 });
    expect(named.loadReport!.architecture).toBe('micro');
    named.dispose();
  });
});
