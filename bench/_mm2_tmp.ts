import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
await tf.setBackend('wasm'); await tf.ready();
const time = (name: string, f: () => tf.Tensor, reps = 20) => {
  for (let i = 0; i < 3; i++) f().dispose();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) { const r = f(); r.dispose(); }
  const c = process.cpuUsage(c0);
  console.log(name.padEnd(40), ((c.user + c.system) / 1000 / reps).toFixed(2), 'ms cpu');
};
const xT = tf.randomNormal([2048, 64]) as tf.Tensor2D;
const dy = tf.randomNormal([64, 512]) as tf.Tensor2D;
const x = tf.randomNormal([64, 2048]) as tf.Tensor2D;
const W = tf.randomNormal([2048, 512]) as tf.Tensor2D;
time('xT@dy cached B', () => tf.matMul(xT, dy));
time('xT@dy fresh B', () => tf.tidy(() => tf.matMul(xT, tf.add(dy, 0))));
time('add dy 0', () => tf.add(dy, 0));
time('x@W cached', () => tf.matMul(x, W));
time('x@W fresh W', () => tf.tidy(() => tf.matMul(x, tf.add(W, 0))));
time('add W 0', () => tf.add(W, 0));
time('transpose W', () => tf.transpose(W));
time('transpose x', () => tf.transpose(x));
const W2 = tf.randomNormal([512, 1536]) as tf.Tensor2D;
time('transpose W2 512x1536', () => tf.transpose(W2));
const d2 = tf.randomNormal([192, 1536]) as tf.Tensor2D;
time('d2 @ transpose(W2) ', () => tf.tidy(() => tf.matMul(d2, tf.transpose(W2))));
time('transpose(W2 @ transpose(d2))', () => tf.tidy(() => tf.transpose(tf.matMul(W2, tf.transpose(d2)))));
