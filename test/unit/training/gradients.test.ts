import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TorchBatchNorm } from '../../../src/layers/torch-batch-norm.js';
import { freeingVariableGrads } from '../../../src/training/gradients.js';
import { registerWasmTrainingKernels } from '../../../src/wasm/training-kernels.js';

/** A small ResNet-like block (conv, PyTorch batch norm in training mode, ReLU, a residual add, a shared layer used twice), pooled, with a dense head. */
function model(seed: number): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.glorotNormal({ seed: seed + s });
  const input = tfl.input({ shape: [12, 12, 3] });
  const conv = (x: tfl.SymbolicTensor, filters: number, s: number) =>
    tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(s) }).apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor) => new TorchBatchNorm({ epsilon: 1e-5, momentum: 0.9 }).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor) => tfl.layers.activation({ activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
  const stem = relu(bn(conv(input, 8, 1)));
  const branch = bn(conv(relu(bn(conv(stem, 8, 2))), 8, 3));
  const block = relu(tfl.layers.add().apply([branch, stem]) as tfl.SymbolicTensor);
  const shared = tfl.layers.dense({ units: 8, kernelInitializer: init(4) });
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(block) as tfl.SymbolicTensor;
  const twice = shared.apply(tfl.layers.activation({ activation: 'tanh' }).apply(shared.apply(pooled)) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, kernelInitializer: init(5) }).apply(twice) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const images = () => tf.tensor4d(Array.from({ length: 4 * 12 * 12 * 3 }, (_, i) => Math.sin(i * 0.31) + 0.2 * Math.cos(i * 1.7)), [4, 12, 12, 3]);
const targets = () => tf.cast(tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3), 'float32');

function loss(m: tfl.LayersModel): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(targets(), m.apply(images(), { training: true }) as tf.Tensor) as tf.Scalar;
}

function variablesOf(m: tfl.LayersModel): tf.Variable[] {
  return m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
}

/** Gradients by `how`, as arrays, with the loss and the tensors left behind. */
function run(m: tfl.LayersModel, how: 'tfjs' | 'freeing') {
  const vars = variablesOf(m);
  const before = tf.memory().numTensors;
  let out: { value: number; grads: number[][] } | undefined;
  tf.tidy(() => {
    {
      if (how === 'tfjs') {
        const { value, grads } = tf.variableGrads(() => loss(m), vars);
        out = { value: value.dataSync()[0] as number, grads: vars.map((v) => Array.from((grads[v.name] as tf.Tensor).dataSync())) };
      } else {
        const { value, grads } = freeingVariableGrads(() => loss(m), vars);
        out = { value: value.dataSync()[0] as number, grads: grads.map((g) => Array.from((g as tf.Tensor).dataSync())) };
      }
    }
  });
  return { ...(out as { value: number; grads: number[][] }), left: tf.memory().numTensors - before };
}

describe.each(['cpu', 'wasm'])('freeingVariableGrads on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    if (backend === 'wasm') registerWasmTrainingKernels('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives tf.variableGrads\' loss and gradients bit for bit (same tape, same order), and leaks nothing', () => {
    // Two models with the same weights: training mode moves the running statistics, which must start equal.
    const a = model(7);
    const b = model(7);
    const theirs = run(a, 'tfjs');
    const ours = run(b, 'freeing');
    expect(ours.value).toBe(theirs.value);
    expect(ours.grads.length).toBe(theirs.grads.length);
    expect(ours.grads.length).toBeGreaterThan(8);
    ours.grads.forEach((g, i) => expect(g).toEqual(theirs.grads[i]));
    expect(ours.left).toBe(0);
    a.dispose();
    b.dispose();
  });

  it('peaks lower than tf.variableGrads: saved activations and gradients are freed along the way', async () => {
    const m = model(3);
    const vars = variablesOf(m);
    const peak = async (f: () => void) => (await tf.profile(() => tf.tidy(f))).peakBytes;
    const theirs = await peak(() => void tf.variableGrads(() => loss(m), vars));
    const ours = await peak(() => void freeingVariableGrads(() => loss(m), vars));
    expect(ours).toBeLessThan(0.8 * theirs);
    m.dispose();
  });

  it('frees the tape when the loss function or a gradient throws', () => {
    const m = model(5);
    const vars = variablesOf(m);
    const before = tf.memory().numTensors;
    expect(() =>
      tf.tidy(() =>
        freeingVariableGrads(() => {
          loss(m);
          throw new Error('forward failed');
        }, vars),
      ),
    ).toThrow('forward failed');
    expect(tf.memory().numTensors).toBe(before);
    const failing = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
      save([x]);
      return { value: tf.mul(x, 2), gradFunc: () => { throw new Error('backward failed'); } };
    }) as (x: tf.Tensor) => tf.Tensor;
    expect(() => tf.tidy(() => freeingVariableGrads(() => tf.sum(failing(loss(m))) as tf.Scalar, vars))).toThrow('backward failed');
    expect(tf.memory().numTensors).toBe(before);
    // The engine is usable afterwards: a plain variableGrads works.
    const ok = run(m, 'freeing');
    expect(ok.left).toBe(0);
    expect(Number.isFinite(ok.value)).toBe(true);
    m.dispose();
  });

  it('a gradient function returning its dy, or one tensor for two inputs, is not freed while held', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const w = tf.variable(tf.tensor1d([0.5, -1, 2]));
    const passDy = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [a, b] = args as [tf.Tensor, tf.Tensor];
      return { value: tf.add(a, b), gradFunc: (dy: tf.Tensor) => [dy, dy] };
    }) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
    const f = () => tf.sum(tf.mul(passDy(tf.mul(v, v), w), tf.tensor1d([1, 10, 100]))) as tf.Scalar;
    const before = tf.memory().numTensors;
    const [gv, gw] = tf.tidy(() => {
      const { grads } = freeingVariableGrads(f, [v, w]);
      return grads.map((g) => Array.from((g as tf.Tensor).dataSync()));
    });
    const ref = tf.tidy(() => {
      const { grads } = tf.variableGrads(f, [v, w]);
      return [v, w].map((x) => Array.from((grads[x.name] as tf.Tensor).dataSync()));
    });
    expect(gv).toEqual(ref[0]);
    expect(gw).toEqual(ref[1]);
    expect(gv).toEqual([2, 40, 600]);
    expect(tf.memory().numTensors).toBe(before);
    v.dispose();
    w.dispose();
  });

  it('a variable the loss does not use gets undefined, as tf.variableGrads leaves it out', () => {
    const v = tf.variable(tf.scalar(3));
    const unused = tf.variable(tf.scalar(1));
    const [g, none] = tf.tidy(() => freeingVariableGrads(() => tf.square(v) as tf.Scalar, [v, unused]).grads.map((t) => t?.dataSync()[0]));
    expect(g).toBe(6);
    expect(none).toBeUndefined();
    v.dispose();
    unused.dispose();
  });
});
