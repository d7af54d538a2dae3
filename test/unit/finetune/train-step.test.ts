import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../../../src/finetune/adamw.js';
import { accumulating, batchRate } from '../../../src/finetune/schedule.js';
import { createFinetuneStep, finetuneLoss } from '../../../src/finetune/train-step.js';
import { modelStages } from '../../../src/finetune/trainable-copy.js';
import { buildResNet } from '../../../src/backbone/arch/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const read = (t: tf.Tensor) => Array.from(t.dataSync());

describe('AdamW (torch.optim.AdamW arithmetic, by hand)', () => {
  it('first step: p (1 - lr wd) - lr g / (|g| + eps), per-parameter rate scales', () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const q = tf.variable(tf.tensor1d([3]));
    const opt = new AdamW([p, q], { weightDecay: 0.1, lrScale: [1, 0.5] });
    tf.tidy(() => opt.step([tf.tensor1d([0.5, -4]), tf.tensor1d([2])], 0.1));
    // m_hat = g, v_hat = g^2 at t = 1.
    expect(read(p)[0]).toBeCloseTo(1 * (1 - 0.01) - 0.1, 6);
    expect(read(p)[1]).toBeCloseTo(-2 * (1 - 0.01) + 0.1, 6);
    expect(read(q)[0]).toBeCloseTo(3 * (1 - 0.005) - 0.05, 6);
    // Second step, g = 1 for q: m = 0.9 * 2 * 0.1 ... computed in float64 here.
    tf.tidy(() => opt.step([tf.tensor1d([0, 0]), tf.tensor1d([1])], 0.1));
    const m = 0.9 * (0.1 * 2) + 0.1 * 1;
    const v = 0.999 * (0.001 * 4) + 0.001 * 1;
    const before = 3 * (1 - 0.005) - 0.05;
    const expected = before * (1 - 0.005) - (0.05 / (1 - 0.9 ** 2)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8));
    expect(read(q)[0]).toBeCloseTo(expected, 5);
    opt.dispose();
    tf.dispose([p, q]);
  });

  it('accumulation averages the gradients of `every` batches into one step (fewer at the end of an epoch)', () => {
    const a = tf.variable(tf.tensor1d([1]));
    const b = tf.variable(tf.tensor1d([1]));
    const direct = new AdamW([a]);
    const acc = accumulating(new AdamW([b]), 2, 3);
    tf.tidy(() => direct.step([tf.tensor1d([0.3])], 0.1)); // mean of 0.2 and 0.4
    tf.tidy(() => direct.step([tf.tensor1d([-1])], 0.1)); // the epoch's last batch alone
    const before = tf.memory().numTensors;
    for (const g of [0.2, 0.4, -1]) tf.tidy(() => acc.step([tf.tensor1d([g])], 0.1));
    expect(tf.memory().numTensors).toBe(before);
    expect(read(b)[0]).toBeCloseTo(read(a)[0] as number, 6);
    direct.dispose();
    acc.dispose();
    tf.dispose([a, b]);
  });
});

describe('learning-rate schedules', () => {
  it('linear warmup then cosine to 0, per batch', () => {
    const rate = batchRate('cosine', 1, 3) as NonNullable<ReturnType<typeof batchRate>>;
    const at = (epoch: number, batch: number) => rate(1, { epoch, batch, batches: 4 });
    expect([0, 1, 2, 3].map((b) => at(1, b))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(at(2, 0)).toBeCloseTo(1, 12);
    expect(at(3, 0)).toBeCloseTo(0.5, 12); // halfway through the 8 post-warmup steps
    expect(batchRate('plateau', 0, 3)).toBeUndefined();
    expect((batchRate('plateau', 1, 3) as NonNullable<ReturnType<typeof batchRate>>)(0.1, { epoch: 2, batch: 0, batches: 4 })).toBe(0.1);
  });
});

describe('finetuneLoss (PyTorch formulas, by hand)', () => {
  it('cross-entropy with label smoothing, and BCE with logits', () => {
    const z = tf.tensor2d([[2, 0, -1]]);
    const y = tf.tensor2d([[1, 0, 0]]);
    const lse = Math.log(Math.exp(2) + 1 + Math.exp(-1));
    const logp = [2 - lse, -lse, -1 - lse];
    const e = 0.1;
    const q = [1 - e + e / 3, e / 3, e / 3];
    expect(finetuneLoss('multiclass', z, y, undefined, e).dataSync()[0]).toBeCloseTo(-q.reduce((s, qi, i) => s + qi * (logp[i] as number), 0), 5);
    const zb = tf.tensor2d([[0.5], [-2]]);
    const yb = tf.tensor2d([[1], [0]]);
    const bce = (x: number, t: number) => -(t * Math.log(1 / (1 + Math.exp(-x))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-x))));
    expect(finetuneLoss('binary', zb, yb, undefined, 0).dataSync()[0]).toBeCloseTo((bce(0.5, 1) + bce(-2, 0)) / 2, 5);
    expect(finetuneLoss('binary', zb, yb, tf.tensor2d([[2], [0]]), 0).dataSync()[0]).toBeCloseTo(bce(0.5, 1), 5);
    tf.dispose([z, y, zb, yb]);
  });
});

describe('createFinetuneStep', () => {
  it('one step moves every weight with a gradient by lr (Adam at t = 1) and updates batch-norm running means', () => {
    const model = buildResNet({ layers: [1, 1, 1, 1], width: 2, inputSize: null, name: 'tiny_step' });
    const head = tf.tidy(() => ({ kernel: tf.variable(tf.randomUniform([64, 1], -0.1, 0.1, 'float32', 1)), bias: tf.variable(tf.zeros([1])) }));
    const x = tf.randomUniform([4, 8, 8, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.tensor2d([[0], [1], [0], [1]]);
    const step = createFinetuneStep({ model, head, task: 'binary', learningRate: 0.01 });
    // The stem's batch norm sees the stem conv's output: its running mean moves by 0.1 of the batch mean (momentum 0.1 in torch's terms).
    const conv = model.getLayer('conv1');
    const convOut = tf.tidy(() => tf.mean(tf.conv2d(tf.pad(x, [[0, 0], [3, 3], [3, 3], [0, 0]]), conv.getWeights()[0] as tf.Tensor4D, 2, 'valid'), [0, 1, 2]));
    const before = step.params.map((p) => read(p));
    const grads = step.gradients(x, y).grads;
    const meanBefore = read(model.getLayer('bn1').getWeights()[2] as tf.Tensor);
    const { loss } = step.step(x, y);
    expect(Number.isFinite(loss)).toBe(true);
    step.params.forEach((p, i) => {
      const g = grads.get(p.name) as Float32Array;
      read(p).forEach((v, j) => {
        const gj = g[j] as number;
        // Adam's first step is lr * g / (|g| + eps): lr * sign(g) wherever |g| >> eps.
        if (Math.abs(gj) > 1e-5) expect(v - (before[i]?.[j] as number)).toBeCloseTo(-0.01 * Math.sign(gj), 4);
      });
    });
    const meanAfter = read(model.getLayer('bn1').getWeights()[2] as tf.Tensor);
    read(convOut).forEach((m, c) => expect(meanAfter[c]).toBeCloseTo(0.9 * (meanBefore[c] as number) + 0.1 * m, 4));
    step.dispose();
    tf.dispose([x, y, convOut, head.kernel, head.bias]);
    model.dispose();
  });

  it('finds the stages of a ResNet (stem, layer1-4) and of any other model (one per weighted layer)', () => {
    const model = buildResNet({ layers: [1, 1, 1, 1], width: 2, inputSize: null, name: 'tiny_stages' });
    const s = modelStages(model);
    expect(s.count).toBe(5);
    expect(s.stage.length).toBe(model.trainableWeights.length);
    const names = model.trainableWeights.map((w) => w.originalName);
    expect(s.stage[names.indexOf('conv1/kernel')]).toBe(0);
    expect(s.stage[names.indexOf('layer3.0.conv2/kernel')]).toBe(3);
    model.dispose();
    const seq = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2 }), tfl.layers.dense({ units: 1 })] });
    expect(modelStages(seq)).toEqual({ stage: [0, 0, 1, 1], count: 2 });
    seq.dispose();
  });
});
