import { describe, expect, it } from 'vitest';
import { parseCommand, type LinearEvalConfig } from '../../../src/cli/args.js';
import { parseSources } from '../../../src/cli/embed-sources.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';

const config = (argv: string[]): LinearEvalConfig => {
  const c = parseCommand(['linear-eval', ...argv]);
  if (c.kind !== 'linear-eval') throw new Error(`expected linear-eval, got ${c.kind}`);
  return c.config;
};

describe('dvme command-line parsing', () => {
  it('parses the documented example', () => {
    const c = config([
      '--data', 'data/retinamnist.npz', '--dataset', 'retinamnist',
      '--sources', 'mobilenet=m/model.json,inception=https://x.org/i/model.json,pixels',
      '--sizes', '50,500,all', '--repeats', '5', '--metric', 'quadraticKappa', '--solver', 'lbfgs', '--out', 'results.md',
    ]);
    expect(c).toMatchObject({
      data: 'data/retinamnist.npz',
      dataset: 'retinamnist',
      imageSize: 28,
      sizes: { '50': 50, '500': 500, all: 'all' },
      repeats: 5,
      metric: 'quadraticKappa',
      solver: 'lbfgs',
      validation: 'none',
      pool: 'all',
      seed: 0,
      out: 'results.md',
      offline: false,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    });
    expect(c.sources).toEqual([
      { name: 'mobilenet', kind: 'tfjs', model: 'm/model.json' },
      { name: 'inception', kind: 'tfjs', model: 'https://x.org/i/model.json' },
      { name: 'pixels', kind: 'pixels' },
    ]);
    expect(Object.keys(c.sizes)).toEqual(['50', '500', 'all']);
  });

  it('fills defaults from the dataset and solver', () => {
    const p = config(['--dataset', 'pneumoniamnist', '--sources', 'pixels']);
    expect(p).toMatchObject({ metric: 'auc', solver: 'paper', validation: 'val', repeats: 5, batchSize: 16, sizes: { '50': 50, '500': 500, all: 'all' } });
    expect(config(['--dataset', 'retinamnist', '--sources', 'pixels']).metric).toBe('quadraticKappa');
    expect(p.standardize).toBeUndefined();
    const c = config(['--dataset', 'retinamnist', '--sources', 'raw=pixels', '--validation', '0.2', '--pool', '300', '--mean', '0.485,0.456,0.406', '--offline', '--standardize']);
    expect(c).toMatchObject({ validation: 0.2, pool: 300, mean: [0.485, 0.456, 0.406], offline: true, standardize: true, sources: [{ name: 'raw', kind: 'pixels' }] });
  });

  it('recognises help and version', () => {
    expect(parseCommand([])).toEqual({ kind: 'help' });
    expect(parseCommand(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommand(['help', 'linear-eval'])).toEqual({ kind: 'help', topic: 'linear-eval' });
    expect(parseCommand(['linear-eval', '-h'])).toEqual({ kind: 'help', topic: 'linear-eval' });
    expect(parseCommand(['linear-eval', '--dataset', 'nope', '--help'])).toEqual({ kind: 'help', topic: 'linear-eval' });
    expect(parseCommand(['--version'])).toEqual({ kind: 'version' });
  });

  it('explains every mistake with a typed error', () => {
    const bad = (argv: string[]) => () => parseCommand(argv);
    expect(bad(['train'])).toThrow(/Unknown command "train"/);
    expect(bad(['linear-eval', '--sources', 'pixels'])).toThrow(/--dataset is required/);
    expect(bad(['linear-eval', '--dataset', 'retinamnist'])).toThrow(/--sources is required/);
    expect(bad(['linear-eval', '--dataset', 'mnist', '--sources', 'pixels'])).toThrow(/--dataset must be one of/);
    expect(bad(['linear-eval', '--dataset', 'retinamnist', '--sources', 'pixels', '--frobnicate'])).toThrow(/frobnicate.*--help/);
    expect(bad(['linear-eval', '--dataset', 'retinamnist', '--sources', 'pixels', '--repeats', '0'])).toThrow(/--repeats must be an integer >= 1/);
    expect(bad(['linear-eval', '--dataset', 'retinamnist', '--sources', 'pixels', '--sizes', '50,lots'])).toThrow(/--sizes/);
    expect(bad(['linear-eval', '--dataset', 'retinamnist', '--sources', 'pixels', '--metric', 'f1'])).toThrow(/--metric must be one of/);
    expect(bad(['linear-eval', '--dataset', 'retinamnist', '--sources', 'pixels', '--std', '1,1'])).toThrow(/three numbers/);
    expect(bad(['linear-eval', '--dataset', 'retinamnist', '--sources', 'pixels', '--validation', '1.5'])).toThrow(/--validation/);
    expect(bad(['linear-eval', '--dataset', 'retinamnist', '--sources', 'pixels', '--image-size', '32'])).toThrow(InvalidArgumentError);
  });

  it('parseSources: names each source, and rejects nameless models and repeated names', () => {
    expect(parseSources(' a = x/model.json , pixels ')).toEqual([
      { name: 'a', kind: 'tfjs', model: 'x/model.json' },
      { name: 'pixels', kind: 'pixels' },
    ]);
    expect(() => parseSources('x/model.json')).toThrow(/name=<model.json/);
    expect(() => parseSources('a=pixels,a=m.json')).toThrow(/twice/);
    expect(() => parseSources(' , ')).toThrow(/no source/);
  });
});
