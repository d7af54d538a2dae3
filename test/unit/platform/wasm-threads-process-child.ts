/**
 * Run by wasm-threads.test.ts in a fresh Node process: `node [flags] --import tsx
 * wasm-threads-process-child.ts <threads> <throw|reject|handler>` (ESM), or required through
 * `node --require tsx/cjs -e` (CommonJS), starts dvme/node's wasm backend
 * and then misbehaves as an app might, to show the process behaves as it would without dvme:
 * - `throw`: an uncaught throw (Node: message on stderr, exit 1);
 * - `reject`: an unhandled rejection (Node 20: the same, exit 1);
 * - `handler`: the app's own `uncaughtException` (added before the start) and
 *   `unhandledRejection` (added after) handlers see both and the process carries on, computing;
 *   disposing of the backend leaves both handlers in place.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/node.js';

const [threads = '2', mode = 'throw'] = process.argv.slice(2);
const seen: string[] = [];
const before = { uncaught: process.listenerCount('uncaughtException'), rejection: process.listenerCount('unhandledRejection') };
if (mode === 'handler') process.on('uncaughtException', (e) => seen.push(`uncaught ${e.message}`));
// No top-level await: the CommonJS child requires this file.
void initBackend({ wasmThreads: Number(threads) }).then((info) => {
  const after = { uncaught: process.listenerCount('uncaughtException'), rejection: process.listenerCount('unhandledRejection') };
  if (mode === 'handler') process.on('unhandledRejection', (e) => seen.push(`rejection ${(e as Error).message}`));
  if (mode === 'throw') setTimeout(() => {
    throw new Error(`user boom after ${info.backend} with ${info.threads} threads`);
  }, 0);
  if (mode === 'reject') void Promise.reject(new Error(`user rejection after ${info.backend} with ${info.threads} threads`));
  if (mode === 'handler') {
    setTimeout(() => {
      throw new Error('user boom');
    }, 0);
    void Promise.reject(new Error('user rejection'));
    setTimeout(() => {
      const sum = tf.sum(tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]))).dataSync()[0];
      tf.removeBackend('wasm');
      const disposed = { uncaught: process.listenerCount('uncaughtException'), rejection: process.listenerCount('unhandledRejection') };
      console.log(JSON.stringify({ info, before, after, disposed, exitCode: process.exitCode ?? null, seen, sum }));
    }, 100);
  }
});
