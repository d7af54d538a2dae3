import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError } from '../../../src/errors/index.js';
import { tinyGraphArtifacts } from './tfjs-fixtures.js';

// The converter is an optional peer: simulate an app that did not install it.
vi.mock('@tensorflow/tfjs-converter', () => {
  throw Object.assign(new Error("Cannot find package '@tensorflow/tfjs-converter'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

describe('Backbone.fromTfjs without @tensorflow/tfjs-converter', () => {
  it('explains how to install it when the model is a GraphModel', async () => {
    await tf.setBackend('cpu');
    const { Backbone } = await import('../../../src/backbone/backbone.js');
    const error = await Backbone.fromTfjs(tf.io.fromMemory(tinyGraphArtifacts()), { mean: [0, 0, 0], std: [1, 1, 1] }).catch((e: unknown) => e);
    expect(BackendUnavailableError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/npm install @tensorflow\/tfjs-converter/);
  });
});
