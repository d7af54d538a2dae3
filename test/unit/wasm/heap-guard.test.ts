import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutOfMemoryError } from '../../../src/errors/index.js';
import { guardWasmHeap, WASM_HEAP_RESERVE } from '../../../src/wasm/heap-guard.js';

const LIMIT = 4 * 2 ** 30;

describe('the wasm heap guard', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    expect(guardWasmHeap('wasm')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('a tensor of 4 GiB on tfjs-backend-wasm is an OutOfMemoryError with the fix, not a tensor over address 0; nothing leaked, the backend goes on', () => {
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      // 2^30 float32 values: 2^32 bytes, which the module's 32-bit malloc would take as 0.
      tf.fill([2 ** 30], 1);
    } catch (e) {
      caught = e;
    }
    expect(OutOfMemoryError.is(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/4\.00 GiB/);
    expect((caught as Error).message).toMatch(/accumulate/);
    expect((caught as Error).message).toMatch(/smaller batch/);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1)).dataSync())).toEqual([2, 3]);
  });

  it('is idempotent: a second call wraps nothing more', () => {
    const wasm = (tf.findBackend('wasm') as unknown as { wasm: { _malloc: unknown } }).wasm;
    const malloc = wasm._malloc;
    expect(guardWasmHeap('wasm')).toBe(true);
    expect(wasm._malloc).toBe(malloc);
  });

  it('does nothing where the backend is not tfjs-backend-wasm', () => {
    expect(guardWasmHeap('cpu')).toBe(false);
    expect(guardWasmHeap('no-such-backend')).toBe(false);
  });

  describe('on a module whose malloc is scripted', () => {
    // A stand-in for the emscripten module: malloc answers from a queue, free records.
    const answers: number[] = [];
    const freed: number[] = [];
    const module = {
      HEAPU8: { byteLength: LIMIT },
      _malloc: (_bytes: number) => answers.shift() ?? 64,
      _free: (offset: number) => void freed.push(offset),
    };
    beforeAll(() => {
      tf.registerBackend('dvme-test-heap', () => ({ wasm: module, dispose() {} }) as unknown as tf.KernelBackend, -1);
      // The lazy stubs' first call, which the guard makes itself.
      answers.push(16);
      expect(guardWasmHeap('dvme-test-heap')).toBe(true);
      freed.length = 0;
    });
    afterAll(() => {
      tf.removeBackend('dvme-test-heap');
    });

    it('malloc returning 0 (the heap could not grow) throws', () => {
      answers.push(0);
      expect(() => module._malloc(1024)).toThrow(OutOfMemoryError);
      expect(freed).toEqual([]);
    });

    it('a block reaching into the reserve at the top is refused (and freed) when the reserve cannot be had any more', () => {
      const offset = LIMIT - WASM_HEAP_RESERVE - 512;
      answers.push(offset, 0);
      expect(() => module._malloc(1024)).toThrow(OutOfMemoryError);
      expect(freed).toEqual([offset]);
    });

    it('and kept when a block of the reserve size can still be allocated (then freed): free space up there after a large step', () => {
      freed.length = 0;
      const offset = LIMIT - WASM_HEAP_RESERVE - 512;
      answers.push(offset, 1024);
      expect(module._malloc(1024)).toBe(offset);
      expect(freed).toEqual([1024]);
      // One that ends below the reserve needs no probe.
      freed.length = 0;
      answers.push(offset);
      expect(module._malloc(512)).toBe(offset);
      expect(freed).toEqual([]);
    });

    it('offsets past 2 GiB (malloc gives them as negative int32) are read unsigned', () => {
      answers.push((3 * 2 ** 30) | 0);
      expect(module._malloc(1024)).toBe(3 * 2 ** 30);
    });

    it('a zero-byte request may be at any offset', () => {
      answers.push(0);
      expect(module._malloc(0)).toBe(0);
    });
  });
});
