import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

/** What `runCli` writes, captured: stdout and stderr chunks, and an `initBackend` that picks cpu. */
export function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { isTTY: false, write: (s: string) => err.push(s) },
      initBackend: async () => {
        await tf.setBackend('cpu');
        return { backend: 'cpu', package: undefined };
      },
    },
  };
}
