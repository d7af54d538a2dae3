import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { torchStateDictOf } from '../../../src/backbone/arch/load-weights.js';
import { buildResNet } from '../../../src/backbone/arch/resnet.js';
import { loadTorchSafetensors, saveTorchStateDict } from '../../../src/backbone/arch/torch-export.js';
import { buildVisionTransformer } from '../../../src/backbone/arch/vit.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { parseSafetensors } from '../../../src/io/safetensors.js';
import { encodeSafetensors } from '../../../src/io/safetensors-writer.js';
import { exportInput, exportModel, RESNET_TINY, VIT_TINY, type ExportModel } from './export-models.js';

const DIR = new URL('../../fixtures/finetune/', import.meta.url);
// PyTorch's logits after `load_state_dict(strict=True)` of the committed files (finetune_export.py).
const TORCH = JSON.parse(readFileSync(new URL('export-logits.json', DIR), 'utf8')) as Record<ExportModel, { logits: number[][]; metadata: Record<string, string> }>;

describe.each(['resnet-tiny', 'vit-tiny'] as ExportModel[])('saveTorchStateDict (%s)', (which) => {
  it('writes the committed file byte for byte, which PyTorch loads strictly to the same logits within 1e-4', () => {
    const { model, head } = exportModel(which);
    const before = tf.memory().numTensors;
    const bytes = saveTorchStateDict(model, { head, numBatchesTracked: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Buffer.from(bytes).equals(readFileSync(new URL(`${which}.safetensors`, DIR)))).toBe(true);
    const x = exportInput();
    const logits = tf.tidy(() => tf.add(tf.matMul(model.predict(x) as tf.Tensor2D, head.kernel), head.bias));
    const ours = logits.arraySync() as number[][];
    const ref = TORCH[which].logits;
    const scale = Math.max(...ref.flat().map(Math.abs));
    const err = Math.max(...ours.flat().map((v, i) => Math.abs(v - ref.flat()[i])));
    expect(err / scale).toBeLessThan(1e-4);
    expect(TORCH[which].metadata).toEqual({ format: 'pt', producer: 'dvme 0.1.0' });
    tf.dispose([x, logits, head.kernel, head.bias]);
    model.dispose();
  });

  it('names keys as torchvision / timm, with int64 num_batches_tracked for every BatchNorm', () => {
    const { tensors } = parseSafetensors(readFileSync(new URL(`${which}.safetensors`, DIR)));
    if (which === 'resnet-tiny') {
      expect(tensors.get('fc.weight')?.shape).toEqual([3, 256]);
      expect(tensors.get('conv1.weight')?.shape).toEqual([8, 3, 7, 7]);
      const counter = tensors.get('layer1.0.downsample.1.num_batches_tracked')!;
      expect(counter.dtype).toBe('int64');
      expect(counter.shape).toEqual([]);
      expect(new DataView(counter.bytes.buffer, counter.bytes.byteOffset).getBigInt64(0, true)).toBe(3n);
    } else {
      expect(tensors.get('head.weight')?.shape).toEqual([3, 32]);
      expect(tensors.get('blocks.1.attn.qkv.weight')?.shape).toEqual([96, 32]);
      expect([...tensors.keys()].some((k) => k.includes('num_batches_tracked'))).toBe(false);
    }
  });

  it('loads back into a fresh model: every weight and the head equal, nothing leaked', () => {
    const bytes = readFileSync(new URL(`${which}.safetensors`, DIR));
    const { model, head } = exportModel(which);
    const fresh = which === 'resnet-tiny' ? buildResNet(RESNET_TINY) : buildVisionTransformer(VIT_TINY);
    const before = tf.memory().numTensors;
    const loaded = loadTorchSafetensors(fresh, new Uint8Array(bytes));
    expect(tf.memory().numTensors).toBe(before);
    expect(loaded.missing).toEqual([]);
    expect(loaded.unexpected).toEqual([]);
    const a = torchStateDictOf(model);
    const b = torchStateDictOf(fresh);
    for (const [key, t] of a) expect(Array.from(b.get(key)!.data), key).toEqual(Array.from(t.data));
    expect(Array.from(loaded.head!.kernel.data)).toEqual(Array.from(head.kernel.dataSync()));
    expect(loaded.head!.kernel.shape).toEqual(head.kernel.shape);
    expect(Array.from(loaded.head!.bias.data)).toEqual(Array.from(head.bias.dataSync()));
    tf.dispose([head.kernel, head.bias]);
    model.dispose();
    fresh.dispose();
  });
});

describe('encodeSafetensors', () => {
  it('round-trips through parseSafetensors with metadata, header padded to 8 bytes', () => {
    const f = new Float32Array([1, -2.5, 3]);
    const bytes = encodeSafetensors(
      new Map([
        ['b', { dtype: 'float32' as const, shape: [3], bytes: new Uint8Array(f.buffer) }],
        ['a', { dtype: 'uint8' as const, shape: [2, 1], bytes: new Uint8Array([7, 9]) }],
      ]),
      { format: 'pt' },
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.keys()]).toEqual(['a', 'b']);
    expect(Array.from(tensors.get('a')!.bytes)).toEqual([7, 9]);
    expect(Array.from(new Float32Array(tensors.get('b')!.bytes.slice().buffer))).toEqual([1, -2.5, 3]);
  });

  it('refuses a tensor whose bytes do not fit its shape, naming it', () => {
    const bad = new Map([['w', { dtype: 'float32' as const, shape: [2], bytes: new Uint8Array(4) }]]);
    expect(() => encodeSafetensors(bad)).toThrow(InvalidArgumentError);
    expect(() => encodeSafetensors(bad)).toThrow(/"w"/);
  });
});
