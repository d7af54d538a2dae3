import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../../src/training/adam.js';
import type { ProbeTask } from '../../../src/training/labels.js';
import { lossAndLogitGrad, transpose } from '../../../src/probe/paper-solver.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Adam (PyTorch formulation)', () => {
  it('two steps match the update computed by hand', () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const adam = new Adam([p]);
    const g1 = tf.tensor1d([0.5, -1]);
    const g2 = tf.tensor1d([0.1, 0.3]);
    adam.step([g1], 0.1);
    adam.step([g2], 0.01);
    // By hand, per coordinate: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    // p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    const expected = [1, -2].map((p0, i) => {
      let w = p0;
      let m = 0;
      let v = 0;
      [[0.5, -1][i], [0.1, 0.3][i]].forEach((g, s) => {
        const t = s + 1;
        const lr = [0.1, 0.01][s];
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        w -= (lr / (1 - 0.9 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
      });
      return w;
    });
    const got = p.dataSync();
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 6));
    adam.dispose();
    tf.dispose([p, g1, g2]);
  });
});

describe('closed-form cross-entropy gradient', () => {
  // Central finite differences of the loss with respect to the logits, in float32.
  function check(task: ProbeTask, z: number[][], y: number[][], w?: number[] | number[][]) {
    const zt = tf.tensor2d(z);
    const yt = tf.tensor2d(y);
    const wt = w ? tf.tensor(w) : undefined;
    const { loss, dz } = lossAndLogitGrad(task, zt, yt, wt);
    const grad = dz.arraySync();
    const h = 1e-2;
    z.forEach((row, i) =>
      row.forEach((_, j) => {
        const at = (delta: number) =>
          tf.tidy(() => {
            const zz = z.map((r, a) => r.map((v, b) => (a === i && b === j ? v + delta : v)));
            return lossAndLogitGrad(task, tf.tensor2d(zz), yt, wt).loss.dataSync()[0];
          });
        expect(grad[i][j]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 3);
      }),
    );
    tf.dispose([zt, yt, loss, dz, ...(wt ? [wt] : [])]);
  }

  it('sigmoid (binary, multilabel), with and without weights', () => {
    check('binary', [[0.3], [-1.2], [2]], [[1], [0], [0]]);
    check('binary', [[0.3], [-1.2], [2]], [[1], [0], [0]], [[2], [0.5], [1]]);
    check('multilabel', [[0.3, -0.4], [1.5, 0.2]], [[1, 0], [1, 1]], [[1, 3], [0.5, 1]]);
  });

  it('softmax (multiclass), with and without weights', () => {
    check('multiclass', [[0.3, -0.4, 1], [1.5, 0.2, -2]], [[0, 0, 1], [1, 0, 0]]);
    check('multiclass', [[0.3, -0.4, 1], [1.5, 0.2, -2]], [[0, 0, 1], [1, 0, 0]], [2, 0.25]);
  });

  it('transpose maps row-major [r, c] to [c, r]', () => {
    expect(Array.from(transpose(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});
