import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../../../src/errors/index.js';
import * as metrics from '../../../src/metrics/index.js';

describe('dvme/metrics exports', () => {
  it('exports the metrics as functions', () => {
    for (const name of ['accuracyScore', 'confusionMatrix', 'cohenKappaScore', 'rocCurve', 'rocAucScore'] as const) {
      expect(typeof metrics[name]).toBe('function');
    }
  });

  it('re-exports every error class, identical to the ones in src/errors', () => {
    const names = Object.keys(errors) as (keyof typeof errors)[];
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const name of names) expect(metrics[name], name).toBe(errors[name]);
    expect(metrics.UndefinedMetricError.is(new errors.UndefinedMetricError('x'))).toBe(true);
  });

  it('the metrics sources import neither tfjs nor node:*', () => {
    const dir = new URL('../../../src/metrics/', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      expect(text, file).not.toMatch(/from\s+['"](node:|@tensorflow\/)/);
    }
  });
});
