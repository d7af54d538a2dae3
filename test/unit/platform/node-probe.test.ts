import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

// tfjs-node cannot be installed on the machines that run this suite; where it is, the probe
// starts it (covered by node.test.ts's tfjs-node case).
const hasTfjsNode = await import('@tensorflow/tfjs-node').then(() => true, () => false);

describe("dvme/node's engine: 'auto' probe for tfjs-node", () => {
  it.runIf(!hasTfjsNode)('answers no without starting the wasm backend (and its worker threads) when tfjs-node is missing', async () => {
    await tf.setBackend('cpu');
    await import('../../../src/node.js');
    const { registeredEngineProbes } = await import('../../../src/backbone/engines/engine-select.js');
    const probe = registeredEngineProbes().tfjsNative;
    expect(probe).toBeTypeOf('function');
    expect(await probe!()).toBe(false);
    expect(Object.keys(tf.engine().registry)).not.toContain('wasm');
    expect(tf.getBackend()).toBe('cpu');
  });
});
