import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { BackboneArchitectureId, CustomArchitecture } from '../../../src/backbone/architectures.js';
import { Backbone } from '../../../src/backbone/backbone.js';
import {
  AbortError,
  BackendUnavailableError,
  CheckpointFormatError,
  DownloadError,
  InvalidArgumentError,
  UnknownBackboneError,
} from '../../../src/errors/index.js';
import { parseSafetensors } from '../../../src/io/safetensors.js';
import { toFloat32 } from '../../../src/io/raw-tensor.js';
import { nodePlatform } from '../../../src/platform/node/node-platform.js';
import { registerPlatform } from '../../../src/host/platform.js';
import { checkpointBytes, customArch, sizeOptions, testImages, writeSafetensors } from './from-checkpoint-fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPlatform(nodePlatform);
});
afterEach(() => {
  tf.disposeVariables();
});

/** The float32 tensors of a safetensors fixture, to edit into a broken checkpoint. */
function tensorsOf(name: string): Map<string, { shape: number[]; data: Float32Array }> {
  const { tensors } = parseSafetensors(checkpointBytes(name));
  return new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, data: toFloat32(t) }]));
}

/** Runs `load`, expects it to throw, and checks that no tensor outlived the failure. */
async function failure(load: () => Promise<unknown>): Promise<Error> {
  const before = tf.memory().numTensors;
  const error = await load().then(
    () => expect.fail('expected the load to throw'),
    (e: unknown) => e as Error,
  );
  expect(tf.memory().numTensors).toBe(before);
  return error;
}

const missingPath = '/nonexistent/never-read.pth';

describe('Backbone.fromCheckpoint argument errors, raised before anything is read', () => {
  it('names the known architectures for an unknown id', async () => {
    const e = await failure(() => Backbone.fromCheckpoint('resnet5' as never, missingPath));
    expect(UnknownBackboneError.is(e) && InvalidArgumentError.is(e)).toBe(true);
    expect(e.message).toMatch(/unknown architecture "resnet5"/);
    expect(e.message).toMatch(/'resnet50', 'vit_small_patch8', 'vit_small_patch16', 'vit_base_patch8', 'vit_base_patch16'/);
    expect(e.message).toMatch(/closest: 'resnet50'/);
  });

  it.each([
    ['a config of an unknown family', { family: 'vgg' }, {}, /family 'resnet' or 'vit'/],
    ['a ViT embedding for a ResNet', 'resnet50', { embedding: 'cls' }, /ResNet, whose embedding is 'avgpool'/],
    ['more last blocks than blocks', 'test_vit_tiny_patch8', { lastBlocks: 5 }, /nLastBlocks \(5\) must not exceed depth \(4\)/],
    ['an unknown embedding', 'vit_small_patch16', { embedding: 'mean' }, /embedding must be one of/],
    ['a bad mean', 'resnet50', { mean: [0.5, 0.5] }, /mean must be three finite numbers/],
    ['a bad crop fraction', 'resnet50', { cropFraction: 1.5 }, /cropFraction must be in \(0, 1\]/],
  ])('rejects %s', async (_, arch, options, message) => {
    const e = await failure(() => Backbone.fromCheckpoint(arch as never, missingPath, options as never));
    expect(InvalidArgumentError.is(e), e.message).toBe(true);
    expect(e.message).toMatch(message);
  });

  it('rejects a source that is no path, URL or bytes', async () => {
    const e = await failure(() => Backbone.fromCheckpoint('resnet50', 42 as never));
    expect(InvalidArgumentError.is(e)).toBe(true);
    expect(e.message).toMatch(/path, a URL, an ArrayBuffer or a Uint8Array; received number/);
  });

  it("explains that paths need 'dvme/node' when no platform reads files", async () => {
    registerPlatform(undefined as never);
    try {
      const e = await failure(() => Backbone.fromCheckpoint('resnet50', 'weights/resnet50.pth'));
      expect(BackendUnavailableError.is(e)).toBe(true);
    } finally {
      registerPlatform(nodePlatform);
    }
  });

  it('stops with an AbortError when the signal has fired', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user left'));
    const e = await failure(() => Backbone.fromCheckpoint(customArch('vit'), checkpointBytes('vit-timm.safetensors'), { signal: controller.signal }));
    expect(AbortError.is(e)).toBe(true);
  });

  it('turns an abort during the download into an AbortError', async () => {
    const controller = new AbortController();
    const fetchAborted = (async () => {
      controller.abort();
      throw new DOMException('The operation was aborted.', 'AbortError');
    }) as typeof fetch;
    const e = await failure(() =>
      Backbone.fromCheckpoint('resnet50', 'https://example.org/x.pth', { fetch: fetchAborted, signal: controller.signal }),
    );
    expect(AbortError.is(e)).toBe(true);
  });

  it('checks architecture ids at compile time', () => {
    // @ts-expect-error 'resnet5' is not a BackboneArchitectureId
    const typo = () => Backbone.fromCheckpoint('resnet5', new Uint8Array(0));
    expect(typeof typo).toBe('function');
    expectTypeOf(Backbone.fromCheckpoint).returns.resolves.toEqualTypeOf<Backbone>();
    expectTypeOf(Backbone.fromCheckpoint).parameter(0).toEqualTypeOf<BackboneArchitectureId | CustomArchitecture>();
  });

  it('reports an HTTP error status with the URL', async () => {
    const fetch404 = (async () => new Response('gone', { status: 404, statusText: 'Not Found' })) as typeof fetch;
    const e = await failure(() => Backbone.fromCheckpoint('resnet50', 'https://example.org/x.pth', { fetch: fetch404 }));
    expect(DownloadError.is(e)).toBe(true);
    expect(e).toMatchObject({ status: 404, url: 'https://example.org/x.pth' });
  });
});

describe('Backbone.fromCheckpoint checkpoint errors', () => {
  /** The ViT fixture without `norm.weight`, with a fifth block's key and a stray key. */
  function broken(): Uint8Array {
    const tensors = tensorsOf('vit-timm.safetensors');
    const extra = tensors.get('blocks.3.norm1.weight')!;
    tensors.delete('norm.weight');
    tensors.set('blocks.4.norm1.weight', extra);
    tensors.set('extra.scale', { shape: [1], data: new Float32Array([2]) });
    return writeSafetensors(tensors);
  }

  it('names missing and unexpected keys under strict, with the layout and the fixes', async () => {
    const e = await failure(() => Backbone.fromCheckpoint(customArch('vit'), broken()));
    expect(CheckpointFormatError.is(e)).toBe(true);
    expect(e.message).toMatch(/1 missing \('norm.weight'\)/);
    expect(e.message).toMatch(/2 unexpected \('blocks.4.norm1.weight', 'extra.scale'\)/);
    expect(e.message).toMatch(/read as plain state dict/);
    expect(e.message).toMatch(/of a deeper model than custom_vit/);
    expect(e.message).toMatch(/checkpointKey/);
    expect(e.message).toMatch(/\{ strict: false \}/);
  });

  it('loads what matches with strict: false and reports the rest', async () => {
    const before = tf.memory().numTensors;
    const b = await Backbone.fromCheckpoint(customArch('vit'), broken(), { ...sizeOptions('vit'), strict: false });
    expect(b.loadReport).toMatchObject({ missing: ['norm.weight'], unexpected: ['blocks.4.norm1.weight', 'extra.scale'] });
    const y = await b.embed(testImages('vit'));
    expect(y.shape).toEqual([2, 32]);
    y.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("points at DINO's other weight set and at the deeper model when blocks are left over", async () => {
    const shallow = { ...customArch('vit'), depth: 3 } as const;
    const e = await failure(() => Backbone.fromCheckpoint(shallow, checkpointBytes('vit-dino-full.pth')));
    expect(e.message).toMatch(/unexpected \('blocks.3.norm1.weight'/);
    expect(e.message).toMatch(/DINO full checkpoint \(weights under 'teacher', keys prefixed 'backbone.'\)/);
    expect(e.message).toMatch(/under 'student.module.backbone.' \(pass checkpointKey: 'student'/);
  });

  it('spots a shallower checkpoint', async () => {
    const deeper = { ...customArch('resnet'), layers: [1, 1, 1, 2] } as const;
    const e = await failure(() => Backbone.fromCheckpoint(deeper, checkpointBytes('resnet-swav.pth.tar')));
    expect(e.message).toMatch(/15 missing \('layer4.1.conv1.weight'/);
    expect(e.message).toMatch(/Whole blocks are absent: the checkpoint is of a shallower model than custom_resnet/);
    expect(e.message).toMatch(/weights under 'state_dict', keys prefixed 'module.'/);
  });

  it('says what a checkpoint of another architecture looks like', async () => {
    const e = await failure(() => Backbone.fromCheckpoint(customArch('vit'), checkpointBytes('resnet-torchvision.pth')));
    expect(CheckpointFormatError.is(e)).toBe(true);
    expect(e.message).toMatch(/no tensor of this checkpoint is a weight of custom_vit/);
    expect(e.message).toMatch(/a ResNet \(torchvision names\)/);
  });

  it('rejects weights of the wrong shape, naming them', async () => {
    const e = await failure(() => Backbone.fromCheckpoint({ ...customArch('vit'), patchSize: 4 }, checkpointBytes('vit-timm.safetensors')));
    expect(CheckpointFormatError.is(e)).toBe(true);
    expect(e.message).toMatch(/'patch_embed.proj.weight': expected \[8, 3, 4, 4\], received \[8, 3, 8, 8\]/);
    expect(e.message).toMatch(/read as plain state dict/);
  });

  it('rejects integer weights rather than loading quantised values as floats', async () => {
    const tensors = tensorsOf('vit-timm.safetensors');
    const bytes = writeSafetensors(tensors);
    // Relabel one float32 tensor as int32 in the header (same size), leaving the JSON length.
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + 200));
    const at = text.indexOf('"F32"');
    bytes.set(new TextEncoder().encode('"I32"'), 8 + at);
    const e = await failure(() => Backbone.fromCheckpoint(customArch('vit'), bytes));
    expect(e.message).toMatch(/is int32; weights must be float32, float16, bfloat16 or float64/);
  });

  it('rejects a checkpointKey that holds no tensors, listing what there is', async () => {
    const e = await failure(() =>
      Backbone.fromCheckpoint(customArch('vit'), checkpointBytes('vit-dino-full.pth'), { checkpointKey: 'ema' }),
    );
    expect(CheckpointFormatError.is(e)).toBe(true);
    expect(e.message).toMatch(/checkpointKey "ema" holds no tensors.*'student', 'teacher'/);
  });

  it('rejects bytes that are no checkpoint', async () => {
    const e = await failure(() => Backbone.fromCheckpoint('resnet50', new TextEncoder().encode('{"not": "weights"}')));
    expect(CheckpointFormatError.is(e)).toBe(true);
  });
});
