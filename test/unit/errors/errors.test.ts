import { describe, expect, it, vi } from 'vitest';
import * as errors from '../../../src/errors/index.js';
import {
  DvmeError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
  UndefinedMetricError,
} from '../../../src/errors/index.js';

const classes = Object.entries(errors).filter(([, v]) => typeof v === 'function') as [
  string,
  typeof DvmeError,
][];

describe('errors', () => {
  it('every exported error is a DvmeError with its own stable code and name', () => {
    const codes = new Set<string>();
    for (const [name, Ctor] of classes) {
      const e = new Ctor('msg');
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(DvmeError);
      expect(e.name).toBe(name);
      expect(e.message).toBe('msg');
      expect(DvmeError.is(e)).toBe(true);
      expect(Ctor.is(e)).toBe(true);
      if (Ctor !== DvmeError) {
        expect(typeof Ctor.code).toBe('string');
        expect(codes.has(e.code)).toBe(false);
        codes.add(e.code);
      }
    }
    expect(classes.length).toBeGreaterThanOrEqual(9);
  });

  it('is() follows the class hierarchy and rejects unrelated values', () => {
    const shape = new ShapeError('x');
    expect(InvalidArgumentError.is(shape)).toBe(true);
    expect(ShapeError.is(new InvalidArgumentError('x'))).toBe(false);
    expect(NonFiniteError.is(shape)).toBe(false);
    expect(UndefinedMetricError.is(shape)).toBe(false);
    for (const v of [null, undefined, 1, 'ShapeError', new Error('x'), { code: 'SHAPE' }]) {
      expect(DvmeError.is(v)).toBe(false);
      expect(ShapeError.is(v)).toBe(false);
    }
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new ShapeError('x', { cause }).cause).toBe(cause);
  });

  it('is() recognises errors from a second copy of the package, where instanceof fails', async () => {
    // After resetModules the import evaluates the module again: a second, independent copy of
    // the classes, as a bundle that duplicates dvme holds.
    vi.resetModules();
    const copy = (await import('../../../src/errors/index.js')) as typeof errors;
    expect(copy.ShapeError).not.toBe(ShapeError);
    const foreign = new copy.ShapeError('from the other copy');
    expect(foreign instanceof ShapeError).toBe(false);
    expect(ShapeError.is(foreign)).toBe(true);
    expect(InvalidArgumentError.is(foreign)).toBe(true);
    expect(DvmeError.is(foreign)).toBe(true);
    expect(NonFiniteError.is(foreign)).toBe(false);
    expect(copy.ShapeError.is(new ShapeError('local'))).toBe(true);
  });
});
