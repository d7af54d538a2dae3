// An app that installed only tfjs-backend-wasm among dvme's optional peers, bundled as is.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'dvme/browser';

async function main() {
  const wasmPaths = new URLSearchParams(location.search).get('wasmPaths');
  try {
    const info = await initBackend({
      backends: { wasm: () => import('@tensorflow/tfjs-backend-wasm') },
      ...(wasmPaths ? { wasmPaths } : {}),
    });
    const sum = tf.tidy(() => tf.sum(tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]))).dataSync()[0]);
    return { backend: info.backend, skipped: info.skipped, sum };
  } catch (e) {
    return { error: String((e && e.message) || e), name: e && e.name };
  }
}

window.__dvme = main();
