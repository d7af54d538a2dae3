import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConcatProbe } from '../../../src/index.js';
import { Probe } from '../../../src/index.js';
import { createYielder, macrotask } from '../../../src/host/macrotask.js';
import { sourcesData } from '../fusion/synthetic.js';
import { blobs } from '../probe/synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Runs `fit` with `AbortSignal.timeout(ms)`; returns how long after the start it rejected, how
 * long after the signal fired, and the error (undefined if it resolved).
 */
async function abortAfter(ms: number, fit: (signal: AbortSignal) => Promise<unknown>) {
  const signal = AbortSignal.timeout(ms);
  let firedAt = Number.NaN;
  signal.addEventListener('abort', () => (firedAt = performance.now()));
  const t0 = performance.now();
  let error: unknown;
  try {
    await fit(signal);
  } catch (e) {
    error = e;
  }
  const end = performance.now();
  return { error, elapsed: end - t0, sinceAbort: end - firedAt };
}

describe('the epoch loop yields to the event loop (issue #14)', () => {
  // Several seconds of training each (the host-trained linear head runs an epoch of these rows in
  // a few ms, hence the epoch counts): without yields the signal's timer could only fire after it.
  const big = blobs(20_000, 32, 2, 1);

  it("Probe 'paper': AbortSignal.timeout(300) ends fit within 100 ms of firing, with the signal's reason", async () => {
    const before = tf.memory().numTensors;
    const probe = new Probe({ task: 'binary', minEpochs: 2000, maxEpochs: 2000 });
    const r = await abortAfter(300, (signal) => probe.fit(big.x, big.y, { signal }));
    expect((r.error as Error | undefined)?.name).toBe('TimeoutError');
    expect(r.sinceAbort).toBeLessThan(100);
    expect(r.elapsed).toBeLessThan(1000);
    expect(probe.isFitted).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fusion estimators (the same loop): AbortSignal.timeout(300) ends fit within 100 ms of firing', async () => {
    const { x, y } = sourcesData(20_000, 3, 1);
    const before = tf.memory().numTensors;
    const est = new ConcatProbe({ sources: { a: 6, b: 4, c: 3 }, task: 'multiclass', minEpochs: 2000, maxEpochs: 2000 });
    const r = await abortAfter(300, (signal) => est.fit(x, y, { signal }));
    expect((r.error as Error | undefined)?.name).toBe('TimeoutError');
    expect(r.sinceAbort).toBeLessThan(100);
    expect(r.elapsed).toBeLessThan(1000);
    expect(tf.memory().numTensors).toBe(before);
    est.dispose();
  });

  it('timers run during a fit: a 10 ms interval keeps ticking', async () => {
    // Counted from the end of the first epoch: the loop's yields are what is tested, not the
    // (synchronous) preparation of the data before it.
    let ticks = 0;
    let t0 = Number.NaN;
    const timer = setInterval(() => {
      if (!Number.isNaN(t0)) ticks++;
    }, 10);
    const onEpoch = () => {
      if (Number.isNaN(t0)) t0 = performance.now();
    };
    const probe = await new Probe({ task: 'binary', minEpochs: 300, maxEpochs: 300 }).fit(big.x, big.y, { onEpoch });
    const ms = performance.now() - t0;
    clearInterval(timer);
    probe.dispose();
    // At least one tick per ~50 ms yield interval (with slack for a loaded machine).
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(ms / 100));
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('createYielder', () => {
  it('yields a macrotask only once the interval has passed', async () => {
    const pause = createYielder(30);
    expect(pause()).toBeUndefined();
    const t0 = performance.now();
    while (performance.now() - t0 < 35);
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    // setTimeout(0) is due after 1 ms.
    while (performance.now() - t0 < 40);
    const p = pause();
    expect(p).toBeInstanceOf(Promise);
    await p;
    expect(timerRan).toBe(true);
    expect(pause()).toBeUndefined();
  });

  it('macrotask lets an expired timer run, which a resolved promise does not', async () => {
    let ran = false;
    setTimeout(() => (ran = true), 0);
    const t0 = performance.now();
    while (performance.now() - t0 < 5);
    await Promise.resolve();
    expect(ran).toBe(false);
    await macrotask();
    expect(ran).toBe(true);
  });
});
