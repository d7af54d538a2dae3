// usage: tsx quick.ts <repo> <model> <fits>
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
const repo = process.argv[2];
const which = process.argv[3];
const fits = Number(process.argv[4] ?? 2);
const { ConcatProbe, DynamicVisualMetaEmbedding } = await import(`${repo}/src/index.js`);
const { Xoshiro128 } = await import(`${repo}/src/random/xoshiro.js`);
await tf.setBackend('wasm'); await tf.ready();
const rng = new Xoshiro128(3);
const u = () => (rng.nextUint32() + 0.5) / 4294967296;
const mk = (n: number, w: number) => ({ data: Float32Array.from({ length: n * w }, () => u() * 2 - 1), shape: [n, w] as [number, number] });
const widths = [2048, 2048, 1536];
const train = Object.fromEntries(widths.map((w, j) => [`s${j}`, mk(546, w)]));
const val = Object.fromEntries(widths.map((w, j) => [`s${j}`, mk(78, w)]));
const y = Int32Array.from({ length: 546 }, (_, i) => (train.s0.data[i * 2048] > 0 ? 1 : 0));
const yv = Int32Array.from({ length: 78 }, (_, i) => (val.s0.data[i * 2048] > 0 ? 1 : 0));
const sources = { s0: 2048, s1: 2048, s2: 1536 };
const times: string[] = [];
for (let f = 0; f <= fits; f++) {
  const est = which === 'concat' ? new ConcatProbe({ task: 'binary', sources, seed: 7 })
    : new DynamicVisualMetaEmbedding({ task: 'binary', sources, seed: 7, tokens: 'source', minEpochs: 3, maxEpochs: 3 });
  const c0 = process.cpuUsage(); const t0 = performance.now();
  await est.fit(train, y, { validation: { x: val, y: yv } });
  const c = process.cpuUsage(c0);
  if (f > 0) times.push(`${((c.user + c.system) / 1000).toFixed(0)}cpu/${(performance.now() - t0).toFixed(0)}wall`);
  if (f === fits) console.log(which, repo, 'history', est.history.map((h: { value: number }) => h.value.toFixed(6)).join(','));
  est.dispose();
}
console.log(which, repo.split('/').pop(), times.join(' '), 'tensors', tf.memory().numTensors);
