import { describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { EarlyStopping, type EarlyStoppingOptions } from '../../../src/training/early-stopping.js';

/** Runs a scripted sequence until stop; the snapshot of epoch e is `w${e}`. */
function run(values: number[], options: EarlyStoppingOptions<string>) {
  const es = new EarlyStopping<string>(options);
  let stoppedAt = 0;
  for (let e = 1; e <= values.length; e++) {
    if (es.step(values[e - 1], () => `w${e}`).stop) {
      stoppedAt = e;
      break;
    }
  }
  return { stoppedAt, best: es.bestSnapshot, bestEpoch: es.bestEpoch, es };
}

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without improvement and keeps the best snapshot', () => {
    const r = run([0.5, 0.9, 0.8, 0.85, 0.7, 0.9, 0.6], { patience: 3 });
    expect(r.stoppedAt).toBe(5);
    expect(r.best).toBe('w2');
    expect(r.bestEpoch).toBe(2);
    expect(r.es.stoppedEpoch).toBe(5);
  });

  it("the paper's protocol: patience 10 never stops before epoch 30; max 50 is the caller's loop", () => {
    const paper = { patience: 10, minEpochs: 30 };
    // Best at epoch 3, flat after: patience runs out at 13, but the floor holds until 30.
    const early = [0.1, 0.2, 0.3, ...Array<number>(47).fill(0.25)];
    expect(run(early, paper)).toMatchObject({ stoppedAt: 30, bestEpoch: 3, best: 'w3' });
    // Best at epoch 25: stops 10 epochs later.
    const late = Array.from({ length: 50 }, (_, i) => (i < 25 ? i / 100 : 0.2));
    expect(run(late, paper)).toMatchObject({ stoppedAt: 35, bestEpoch: 25 });
    // Improving every epoch: never stops (the loop ends at 50).
    expect(run(Array.from({ length: 50 }, (_, i) => i), paper)).toMatchObject({ stoppedAt: 0, bestEpoch: 50 });
  });

  it('ties and NaN are not improvements; minDelta is absolute', () => {
    expect(run([0.5, 0.5, 0.5], { patience: 2 })).toMatchObject({ stoppedAt: 3, bestEpoch: 1 });
    expect(run([Number.NaN, 0.2, Number.NaN, Number.NaN], { patience: 2 })).toMatchObject({ stoppedAt: 4, bestEpoch: 2 });
    expect(run([0.5, 0.55, 0.58], { patience: 2, minDelta: 0.1 })).toMatchObject({ stoppedAt: 3, bestEpoch: 1 });
  });

  it("mode 'min' for a loss", () => {
    expect(run([1, 0.8, 0.9, 0.85], { mode: 'min', patience: 2 })).toMatchObject({ stoppedAt: 4, best: 'w2' });
  });

  it('releases every replaced snapshot, and the held one on dispose', () => {
    const release = vi.fn();
    const es = new EarlyStopping<string>({ patience: 5, release });
    es.step(1, () => 'a');
    es.step(2, () => 'b');
    es.step(1, () => 'c');
    expect(release.mock.calls).toEqual([['a']]);
    es.dispose();
    es.dispose();
    expect(release.mock.calls).toEqual([['a'], ['b']]);
    expect(es.bestSnapshot).toBeUndefined();
  });

  it('takeBestSnapshot hands the snapshot over without releasing it', () => {
    const release = vi.fn();
    const es = new EarlyStopping<string>({ release });
    es.step(1, () => 'a');
    expect(es.takeBestSnapshot()).toBe('a');
    es.dispose();
    expect(release).not.toHaveBeenCalled();
  });

  it('rejects bad options', () => {
    for (const o of [{ patience: -1 }, { minEpochs: 0.5 }, { minDelta: -1 }, { mode: 'down' }]) {
      expect(() => new EarlyStopping(o as EarlyStoppingOptions)).toThrow(InvalidArgumentError);
    }
  });
});
