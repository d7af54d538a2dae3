import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
await tf.setBackend('wasm'); await tf.ready();
const time = (name: string, f: () => void, reps = 50) => {
  for (let i = 0; i < 3; i++) f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const c = process.cpuUsage(c0);
  console.log(name.padEnd(40), ((c.user + c.system) / 1000 / reps).toFixed(2), 'ms cpu');
};
const x = tf.randomNormal([64, 4608]) as tf.Tensor2D;
time('split 9', () => tf.dispose(tf.split(x, 9, 1)));
const b = tf.backend() as any;
time('heap copy 9', () => {
  const outs = [];
  for (let p = 0; p < 9; p++) {
    const info = b.makeOutput([64, 512], 'float32');
    const src = b.typedArrayFromHeap(x); const dst = b.typedArrayFromHeap(info);
    for (let r = 0; r < 64; r++) dst.set(src.subarray(r * 4608 + p * 512, r * 4608 + p * 512 + 512), r * 512);
    outs.push(tf.engine().makeTensorFromTensorInfo(info));
  }
  tf.dispose(outs);
});
const dys = Array.from({ length: 9 }, () => tf.randomNormal([64, 512]));
time('concat 9 (split grad)', () => tf.concat(dys, 1).dispose());
time('9 pads + addN (slice grads)', () => tf.tidy(() => { tf.addN(dys.map((d, p) => tf.pad(d, [[0, 0], [p * 512, 4608 - p * 512 - 512]]))); }));
