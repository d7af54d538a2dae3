/**
 * Run by wasm-threads.test.ts in a fresh Node process (a backend starts once per process):
 * `node --import tsx wasm-threads-child.ts <threads|auto> [refuse-load]` starts dvme/node's wasm
 * backend with that many threads (`refuse-load`: every pthread worker fails to start), runs the tiny ResNet and ViT fixtures and a few large kernels, and prints
 * one JSON line: the BackendInfo, what the start-up left patched, and each output's SHA-256.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { buildResNet, buildVisionTransformer, loadTorchStateDict, type ResNetConfig, type ViTConfig } from '../../../src/backbone/arch/index.js';
import { initBackend } from '../../../src/node.js';
import { Xoshiro128 } from '../../../src/random/xoshiro.js';
import { loadParityFixture, relativeMaxError } from '../backbone/arch/fixture.js';

const arg = process.argv[2] ?? 'auto';
if (process.argv[3] === 'refuse-load') {
  // A worker that cannot be started (as Node refuses some): the threaded start fails.
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: Parameters<Worker['postMessage']>[1]) {
    if ((message as { cmd?: unknown } | null)?.cmd === 'load') throw new Error('simulated: this worker cannot start');
    post.call(this, message, transfer);
  };
}
const blob = globalThis.Blob;
const createObjectURL = URL.createObjectURL;
const cpus = os.cpus().length;
const hadWorker = 'Worker' in globalThis;
const info = await initBackend({ wasmThreads: arg === 'auto' ? 'auto' : Number(arg) });
// The worker script's private folder is gone once the backend runs (TMPDIR is this child's own).
const tempLeft = readdirSync(os.tmpdir()).filter((n) => n.startsWith('dvme-wasm-worker-'));

function seeded(shape: number[], seed: number): tf.Tensor {
  const rng = new Xoshiro128(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (rng.nextUint32() >>> 8) / 2 ** 23 - 1), shape);
}
const outputs: Record<string, string> = {};
const errors: Record<string, number> = {};
const keep = (name: string, t: tf.Tensor) => {
  const d = t.dataSync() as Float32Array;
  outputs[name] = createHash('sha256').update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest('hex');
  return d;
};

const resnet = loadParityFixture('resnet-tiny');
const vit = loadParityFixture('vit-tiny');
const r = buildResNet({ ...(resnet.config as Partial<ResNetConfig>), name: 'resnet_tiny' });
loadTorchStateDict(r, resnet.state());
const v = buildVisionTransformer({ ...(vit.config as Partial<ViTConfig>), embedding: 'cls', nLastBlocks: 1 });
loadTorchStateDict(v, vit.state());
const before = tf.memory().numTensors;
for (const c of resnet.cases) {
  tf.tidy(() => {
    const x = resnet.get(`input/${c}`);
    const y = keep(`resnet/${c}`, r.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor);
    errors[`resnet/${c}`] = relativeMaxError(y, resnet.get(`output/${c}/avgpool`).data);
  });
}
for (const c of vit.cases) {
  tf.tidy(() => {
    const x = vit.get(`input/${c}`);
    const y = keep(`vit/${c}`, v.predict(tf.tensor(x.data, [...x.shape])) as tf.Tensor);
    errors[`vit/${c}`] = relativeMaxError(y, vit.get(`output/${c}/cls`).data);
  });
}
tf.tidy(() => {
  // Large enough for XNNPACK to split the work between threads.
  keep('conv', tf.conv2d(seeded([4, 56, 56, 32], 1) as tf.Tensor4D, seeded([3, 3, 32, 64], 2) as tf.Tensor4D, 1, 'same'));
  keep('matmul', tf.matMul(seeded([384, 512], 3), seeded([512, 256], 4)));
  keep('depthwise', tf.depthwiseConv2d(seeded([2, 64, 64, 48], 5) as tf.Tensor4D, seeded([3, 3, 48, 1], 6) as tf.Tensor4D, 2, 'same'));
});
const leakedTensors = tf.memory().numTensors - before;
r.dispose();
v.dispose();
console.log(
  JSON.stringify({
    info,
    restored: globalThis.Blob === blob && URL.createObjectURL === createObjectURL && os.cpus().length === cpus && ('Worker' in globalThis) === hadWorker,
    leakedTensors,
    tempLeft,
    errors,
    outputs,
  }),
);
