/**
 * One training step (and five) of full-size ResNet-50 and ViT-S/16 with a linear head against
 * PyTorch (scripts/fixtures/finetune_parity.py, float64 from the same float32 weights): the loss,
 * gradients of named tensors, weights after Adam, BatchNorm running statistics. Weights come
 * from a formula both sides compute (formula-weights.ts), so no state dict is committed.
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTorchStateDict, torchKeyedWeights } from '../../../src/backbone/arch/load-weights.js';
import { buildResNet, RESNET50_CONFIG } from '../../../src/backbone/arch/resnet.js';
import { resnetStateDictSpec, vitStateDictSpec } from '../../../src/backbone/arch/state-dict-spec.js';
import { transpose2d } from '../../../src/backbone/arch/torch-weights.js';
import { buildVisionTransformer, VIT_SMALL_CONFIG } from '../../../src/backbone/arch/vit.js';
import { createFinetuneStep, type FinetuneStep } from '../../../src/finetune/train-step.js';
import { registerConv2dBackpropFilter } from '../../../src/wasm/conv2d-backprop-filter.js';
import { formulaState, formulaTensor, nchwToNhwc, type FormulaGains } from './formula-weights.js';

const DIR = new URL('../../fixtures/finetune/', import.meta.url);

interface Manifest {
  model: string;
  size: number;
  batch: number;
  classes: number;
  lr: number;
  steps: number;
  samples: number;
  /** Formula factors by key suffix (formula-weights.ts's `FormulaGains`). */
  gains: Record<string, number>;
  losses: number[];
  grads: string[];
  buffers: string[];
  tensors: { name: string; shape: number[]; offset: number }[];
}

function loadFixture(stem: string): { manifest: Manifest; get(name: string): Float32Array } {
  const manifest = JSON.parse(readFileSync(new URL(`${stem}-step.json`, DIR), 'utf8')) as Manifest;
  const bytes = readFileSync(new URL(`${stem}-step.bin`, DIR));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return {
    manifest,
    get(name) {
      const t = manifest.tensors.find((e) => e.name === name);
      if (t === undefined) throw new Error(`no fixture tensor ${name}`);
      return all.subarray(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1));
    },
  };
}

/** Every `ceil(n / samples)`-th value, as the script samples. */
function sample(data: Float32Array, samples: number): Float32Array {
  const step = Math.max(1, Math.ceil(data.length / samples));
  return data.filter((_, i) => i % step === 0);
}

/** max |a - b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

/** A backbone, a linear head (PyTorch `fc` / `head`) and FineTuner's step (AdamW at weight decay 0 = torch's Adam): `loss.backward(); opt.step()`. */
class Trainer {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly step1: FinetuneStep;
  readonly keyed;

  constructor(
    readonly model: tfl.LayersModel,
    readonly headKey: string,
    dim: number,
    classes: number,
    gains: FormulaGains,
  ) {
    const w = formulaTensor(`${headKey}.weight`, [classes, dim], gains);
    this.kernel = tf.variable(tf.tensor2d(transpose2d(w.data, classes, dim), [dim, classes]));
    this.bias = tf.variable(tf.tensor1d(formulaTensor(`${headKey}.bias`, [classes], gains).data));
    this.step1 = createFinetuneStep({ model, head: { kernel: this.kernel, bias: this.bias }, task: 'multiclass' });
    this.keyed = new Map(torchKeyedWeights(model).map((k) => [k.key, k]));
  }

  /** Loss, then (optionally) the gradients of `keys` in PyTorch layout, then one Adam step. */
  step(x: tf.Tensor4D, labels: number[], lr: number, keys: readonly string[] = []): { loss: number; grads: Map<string, Float32Array> } {
    const grads = new Map<string, Float32Array>();
    const targets = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), this.kernel.shape[1]!), 'float32') as tf.Tensor2D);
    try {
      if (keys.length === 0) return { loss: this.step1.step(x, targets, { learningRate: lr }).loss, grads };
      // The gradients before the update: step()'s own composition, opened up.
      const loss = tf.tidy(() => {
        const r = this.step1.lossAndGradients(x, targets);
        const named: tf.NamedTensorMap = Object.fromEntries(this.step1.params.map((p, i) => [p.name, r.grads[i]]));
        for (const key of keys) grads.set(key, this.torchGrad(key, named));
        this.step1.optimizer.step(r.grads, lr);
        return r.loss.dataSync()[0];
      });
      return { loss, grads };
    } finally {
      targets.dispose();
    }
  }

  private torchGrad(key: string, g: tf.NamedTensorMap): Float32Array {
    const [dim, classes] = this.kernel.shape;
    if (key === `${this.headKey}.weight`) return transpose2d(g[this.kernel.name].dataSync() as Float32Array, dim, classes);
    if (key === `${this.headKey}.bias`) return g[this.bias.name].dataSync() as Float32Array;
    const k = this.keyed.get(key)!;
    return k.toTorch(g[(k.variable.read() as tf.Variable).name].dataSync() as Float32Array);
  }

  /** A weight or buffer's current value in PyTorch layout. */
  value(key: string): Float32Array {
    const [dim, classes] = this.kernel.shape;
    if (key === `${this.headKey}.weight`) return transpose2d(this.kernel.dataSync() as Float32Array, dim, classes);
    if (key === `${this.headKey}.bias`) return this.bias.dataSync() as Float32Array;
    const k = this.keyed.get(key)!;
    return k.toTorch(k.variable.read().dataSync() as Float32Array);
  }

  dispose(): void {
    this.step1.dispose();
    tf.dispose([this.kernel, this.bias]);
    this.model.dispose();
  }
}

/** The relative tolerances: one step, five steps. */
const ONE = 1e-4;
const FIVE = 1e-3;

function parityCase(stem: string, build: (gains: FormulaGains) => { trainer: Trainer }) {
  const fx = loadFixture(stem);
  const m = fx.manifest;
  let trainer: Trainer;
  const losses: number[] = [];
  let grads = new Map<string, Float32Array>();
  const after = new Map<number, Map<string, Float32Array>>();

  beforeAll(async () => {
    // tfjs-wasm (XNNPACK) with dvme's im2col filter gradient: tfjs-cpu's naive convolution
    // gradients take minutes for a ResNet-50 step.
    await tf.setBackend('wasm');
    registerConv2dBackpropFilter('wasm');
    ({ trainer } = build(m.gains));
    const labels = Array.from({ length: m.batch }, (_, i) => i % m.classes);
    for (let s = 1; s <= m.steps; s++) {
      const shape = [m.batch, 3, m.size, m.size];
      const x = tf.tensor4d(nchwToNhwc(formulaTensor(`input.${s}`, shape).data, shape), [m.batch, m.size, m.size, 3]);
      const out = trainer.step(x, labels, m.lr, s === 1 ? m.grads : []);
      x.dispose();
      losses.push(out.loss);
      if (s === 1) grads = out.grads;
      if (s === 1 || s === m.steps) after.set(s, new Map([...m.grads, ...m.buffers].map((k) => [k, sample(trainer.value(k), m.samples)])));
    }
  }, 600_000);
  afterAll(() => trainer?.dispose());

  it('step 1: the loss within 1e-4 relative', () => {
    expect(Math.abs(losses[0] - m.losses[0]) / Math.abs(m.losses[0])).toBeLessThan(1e-4);
  });
  it.each(m.grads)(`step 1: the gradient of %s within ${ONE} relative`, (key) => {
    expect(relErr(sample(grads.get(key)!, m.samples), fx.get(`grad1/${key}`))).toBeLessThan(ONE);
  });
  it.each(m.grads)(`step 1: %s after the update within ${ONE} relative`, (key) => {
    expect(relErr(after.get(1)!.get(key)!, fx.get(`step1/${key}`))).toBeLessThan(ONE);
  });
  it.each(m.buffers)(`step 1: %s after the update within ${ONE} relative`, (key) => {
    expect(relErr(after.get(1)!.get(key)!, fx.get(`step1/${key}`))).toBeLessThan(ONE);
  });
  it(`five steps: losses, weights and buffers within ${FIVE} relative`, () => {
    losses.forEach((l, i) => expect(Math.abs(l - m.losses[i]) / Math.abs(m.losses[i])).toBeLessThan(FIVE));
    for (const key of [...m.grads, ...m.buffers]) {
      expect(relErr(after.get(m.steps)!.get(key)!, fx.get(`step${m.steps}/${key}`)), key).toBeLessThan(FIVE);
    }
  });
}

// 33 px: the smallest input at which layer4's maps are 2x2 (32 px makes them 1x1, so each of its
// BatchNorms normalises 4 values, ill-conditioned in float32), and gains that keep the
// trajectory smooth; see scripts/fixtures/finetune_parity.py and docs/finetuning.md.
describe('one training step against PyTorch: ResNet-50 (BatchNorm in train mode), 33 px, batch 4', () => {
  parityCase('resnet50', (gains) => {
    const model = buildResNet(RESNET50_CONFIG);
    loadTorchStateDict(model, formulaState(resnetStateDictSpec(RESNET50_CONFIG), gains));
    return { trainer: new Trainer(model, 'fc', 2048, 5, gains) };
  });
});

describe('one training step against PyTorch: ViT-S/16 (CLS token), 64 px, batch 4', () => {
  const config = { ...VIT_SMALL_CONFIG, imgSize: 64, embedding: 'cls' as const };
  parityCase('vit_small_patch16', (gains) => {
    const model = buildVisionTransformer(config);
    loadTorchStateDict(model, formulaState(vitStateDictSpec(config), gains));
    return { trainer: new Trainer(model, 'head', 384, 5, gains) };
  });
});
