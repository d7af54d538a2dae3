import * as tf from '@tensorflow/tfjs-core';
import { buildResNet } from '../../../src/backbone/arch/index.js';
import { Backbone } from '../../../src/index.js';

/** A tiny ResNet backbone (the ResNet-50 code at width 2, one block per stage) on 8 x 8 inputs. */
export function tinyResNetBackbone(seed = 1): Backbone {
  const model = buildResNet({ layers: [1, 1, 1, 1], width: 2, inputSize: null, name: `tiny_${seed}` });
  // Deterministic weights: tfjs-layers draws its initial values from Math.random.
  for (const [i, w] of model.weights.entries()) {
    const [lo, hi] = /moving_variance|gamma/.test(w.originalName) ? [0.5, 1.5] : [-0.3, 0.3];
    tf.tidy(() => {
      w.write(tf.randomUniform(w.shape as number[], lo, hi, 'float32', seed * 1000 + i));
    });
  }
  return Backbone.fromModel(model, { id: 'tiny-resnet', inputSize: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
}

/** n uint8 images of 8 x 8 x 3 whose brightness separates the two classes; labels 0/1 alternate. */
export function toyImages(n: number, size = 8, seed = 0): { images: { data: Uint8Array; shape: number[] }; labels: number[] } {
  const data = new Uint8Array(n * size * size * 3);
  const labels: number[] = [];
  let s = seed + 1;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    labels.push(label);
    for (let j = 0; j < size * size * 3; j++) data[i * size * size * 3 + j] = Math.floor((label ? 140 : 60) + 80 * rand());
  }
  return { images: { data, shape: [n, size, size, 3] }, labels };
}
