/**
 * The ONNX engine on onnxruntime-web (what `dvme/browser` registers), run on its wasm execution
 * provider in Node: the same graphs, session options and tensors as in a browser's wasm path.
 * WebGPU cannot run here; only its fallback to wasm is checked.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Backbone } from '../../../../src/backbone/backbone.js';
import type { OnnxEngineOptions } from '../../../../src/backbone/engines/backbone-engine.js';
import type { OnnxRuntimeProvider, OrtModuleLike, OrtSessionLike, OrtTensorLike } from '../../../../src/backbone/engines/onnx-runtime.js';
import { loadParityFixture, relativeMaxError } from '../arch/fixture.js';
import { writeSafetensors as safetensors } from '../from-checkpoint-fixtures.js';
import { ort as nodeOrt, provider as nodeProvider } from './ort.js';
import { WEB_MISSING, webOrt, webProvider } from './ort-web.js';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;
const ONNX_FILE = fileURLToPath(new URL('../../../fixtures/engine/resnet-tiny.onnx', import.meta.url));
const images = { data: Uint8Array.from({ length: 5 * 40 * 36 * 3 }, (_, i) => (i * 7919) % 256), shape: [5, 40, 36, 3] };
const ARCHS = [
  ['test_resnet_tiny', 'resnet-tiny'],
  ['test_vit_tiny_patch8', 'vit-tiny'],
] as const;

/**
 * onnxruntime-web's wasm kernels and onnxruntime-node's native ones (MLAS, AVX-512 on the
 * machine measured) sum in different orders, so the bits differ: measured 4.3e-7 to 7.6e-7
 * relative on these models.
 */
const WEB_VS_NODE = 1e-6;

async function embedCheckpoint(arch: (typeof ARCHS)[number][0], fixture: (typeof ARCHS)[number][1], engine: 'tfjs' | 'onnx', onnx: OnnxEngineOptions = {}): Promise<Float32Array> {
  const backbone = await Backbone.fromCheckpoint(arch, safetensors(loadParityFixture(fixture).state()), { engine, onnx: { cache: false, ...onnx } });
  try {
    return (await backbone.embed(images, { as: 'array', batchSize: 2 })).data;
  } finally {
    backbone.dispose();
  }
}

/** `provider`, with every tensor its sessions return recorded. */
function recording(provider: OnnxRuntimeProvider): { provider: OnnxRuntimeProvider; outputs: OrtTensorLike[] } {
  const outputs: OrtTensorLike[] = [];
  const wrap = (s: OrtSessionLike): OrtSessionLike => ({
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    run: async (feeds, fetches) => {
      const out = await s.run(feeds, fetches);
      outputs.push(...Object.values(out));
      return out;
    },
    release: () => s.release(),
  });
  const load = async () => {
    const ort = (await provider.load()) as OrtModuleLike;
    return { Tensor: ort.Tensor, env: ort.env, InferenceSession: { create: async (m: Uint8Array, o?: object) => wrap(await ort.InferenceSession.create(m, o)) } };
  };
  return { provider: { package: provider.package, load }, outputs };
}

describe.skipIf(!webOrt)(`The ONNX engine on onnxruntime-web (wasm, in Node)${WEB_MISSING}`, () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(ARCHS)("fromCheckpoint('%s', bytes, { engine: 'onnx' }) embeds as the tfjs engine does (1e-4)", async (arch, fixture) => {
    const web = await embedCheckpoint(arch, fixture, 'onnx', { runtime: webProvider });
    const tfjs = await embedCheckpoint(arch, fixture, 'tfjs');
    expect(relativeMaxError(web, tfjs)).toBeLessThan(1e-4);
  });

  it.skipIf(!nodeOrt).each(ARCHS)(`fromCheckpoint('%s') embeds as on onnxruntime-node, within ${WEB_VS_NODE.toExponential()} relative`, async (arch, fixture) => {
    const web = await embedCheckpoint(arch, fixture, 'onnx', { runtime: webProvider });
    const node = await embedCheckpoint(arch, fixture, 'onnx', { runtime: nodeProvider });
    expect(relativeMaxError(web, node)).toBeLessThan(WEB_VS_NODE);
  });

  it('reports onnxruntime-web and its version as the runtime', async () => {
    const backbone = await Backbone.fromCheckpoint('test_resnet_tiny', safetensors(loadParityFixture('resnet-tiny').state()), {
      engine: 'onnx',
      onnx: { runtime: webProvider, cache: false },
    });
    expect(backbone.engine?.runtime).toMatch(/^onnxruntime-web 1\.\d+\.\d+/);
    backbone.dispose();
  });

  it.skipIf(!nodeOrt)(`fromOnnx runs a torch.onnx.export file (final and intermediate outputs) as onnxruntime-node does, within ${WEB_VS_NODE.toExponential()}`, async () => {
    const file = readFileSync(ONNX_FILE);
    for (const output of [undefined, '/layer3/layer3.0/relu_2/Relu_output_0']) {
      const embed = async (runtime: OnnxRuntimeProvider) => {
        const backbone = await Backbone.fromOnnx(file, { ...IMAGENET, output, resize: 'shorter-then-crop', runtime });
        const y = await backbone.embed(images, { as: 'array', batchSize: 2 });
        backbone.dispose();
        return y;
      };
      const web = await embed(webProvider);
      const node = await embed(nodeProvider);
      expect(web.shape).toEqual(node.shape);
      expect(relativeMaxError(web.data, node.data)).toBeLessThan(WEB_VS_NODE);
    }
  });

  // On the wasm provider the outputs are JavaScript copies (onnxruntime-web frees its wasm-side
  // tensors inside run), so no memory grows without dispose(); it matters for GPU-resident
  // tensors. What is checked is the engine's side: every output is disposed after it is read.
  it('disposes every tensor a session run returns', async () => {
    const { provider, outputs } = recording(webProvider);
    const backbone = await Backbone.fromOnnx(readFileSync(ONNX_FILE), { ...IMAGENET, runtime: provider });
    for (let i = 0; i < 3; i++) await backbone.embed(images, { as: 'array', batchSize: 2 });
    backbone.dispose();
    // 1 blank image to find the width, then 3 batches per embed.
    expect(outputs.length).toBe(1 + 3 * 3);
    // onnxruntime-web marks a disposed tensor's location 'none' (its data is then unreachable).
    expect(outputs.map((t) => (t as { location?: string }).location)).toEqual(outputs.map(() => 'none'));
  });

  it("takes dvme's session options: threads, graph optimisation, no spinning, execution providers", async () => {
    const want = await embedCheckpoint('test_vit_tiny_patch8', 'vit-tiny', 'onnx', { runtime: webProvider });
    const got = await embedCheckpoint('test_vit_tiny_patch8', 'vit-tiny', 'onnx', {
      runtime: webProvider,
      threads: 2, // intraOpNumThreads; onnxruntime-web's wasm stays single-threaded in Node
      graphOptimization: 'basic',
      allowSpinning: false,
      executionProviders: ['wasm'],
    });
    expect(relativeMaxError(got, want)).toBeLessThan(1e-6);
  });

  it("runs ['webgpu', 'wasm'] (dvme/browser's choice where navigator.gpu exists) on wasm when WebGPU is missing", async () => {
    // In Node, onnxruntime-web registers no WebGPU backend; in a browser without an adapter its
    // WebGPU backend fails to start. Both leave onnxruntime-common to drop 'webgpu' and warn.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const want = await embedCheckpoint('test_resnet_tiny', 'resnet-tiny', 'onnx', { runtime: webProvider });
    const got = await embedCheckpoint('test_resnet_tiny', 'resnet-tiny', 'onnx', { runtime: webProvider, executionProviders: ['webgpu', 'wasm'] });
    expect(got).toEqual(want);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/removing requested execution provider "webgpu"/));
  });
});
