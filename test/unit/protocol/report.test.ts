import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { formatMarkdown, toCsv, type LinearEvaluationCell, type LinearEvaluationResult } from '../../../src/protocol/index.js';

const cell = (values: number[], trainSize: number, validationSize = 0): LinearEvaluationCell => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length < 2 ? Number.NaN : Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
  return { mean, std, runs: values.map((value, i) => ({ seed: 100 + i, value, trainSize, validationSize, wallMs: 10.4 + i })) };
};

const result: LinearEvaluationResult = {
  kind: 'dvme.linear-evaluation',
  version: 1,
  task: 'multiclass',
  metric: 'quadraticKappa',
  solver: 'lbfgs',
  repeats: 2,
  seed: 0,
  balanced: true,
  validation: 'none',
  probeOptions: {},
  sources: ['dino', 'a|b, "c"'],
  sizes: [
    { name: 'S', size: 50 },
    { name: 'F', size: 'all' },
  ],
  results: {
    dino: { S: cell([0.5, 0.75], 50), F: cell([0.8, 0.8], 1080) },
    'a|b, "c"': { S: cell([0.25, Number.NaN], 50), F: cell([0.75, 0.25], 1080) },
  },
  wallMs: 123,
};

describe('report formatting', () => {
  it('formatMarkdown: rows = sizes, columns = sources, cells mean ± std, and a note', () => {
    expect(formatMarkdown(result)).toBe(
      [
        '| size | dino | a\\|b, "c" |',
        '| --- | ---: | ---: |',
        '| S (50) | 0.6250 ± 0.1768 | NaN |',
        '| F (all: 1080) | 0.8000 ± 0.0000 | 0.5000 ± 0.3536 |',
        '',
        "Test-set quadratic weighted kappa, mean ± sample std (n - 1) over 2 runs; class-balanced draws; solver 'lbfgs'; validation: none; seed 0.",
        '',
      ].join('\n'),
    );
  });

  it('formatMarkdown: the note names non-default probe options', () => {
    const note = formatMarkdown({ ...result, probeOptions: { standardize: true, C: 0.5 } }).split('\n').at(-2);
    expect(note).toBe(
      "Test-set quadratic weighted kappa, mean ± sample std (n - 1) over 2 runs; class-balanced draws; solver 'lbfgs' (standardize true, C 0.5); validation: none; seed 0.",
    );
  });

  it('formatMarkdown: digits, no note, one run, size names that are the size', () => {
    const one: LinearEvaluationResult = {
      ...result,
      repeats: 1,
      validation: 'split',
      sources: ['dino'],
      sizes: [{ name: '50', size: 50 }, { name: 'all', size: 'all' }],
      results: { dino: { '50': cell([0.61234], 40, 10), all: cell([0.8], 864, 216) } },
    };
    expect(formatMarkdown(one, { digits: 2, note: false })).toBe(
      ['| size | dino |', '| --- | ---: |', '| 50 | 0.61 |', '| all: 1080 | 0.80 |', ''].join('\n'),
    );
    expect(() => formatMarkdown(one, { digits: -1 })).toThrow(InvalidArgumentError);
    expect(() => formatMarkdown({} as LinearEvaluationResult)).toThrow(/runLinearEvaluation/);
  });

  it('toCsv: a summary line per source and size, quoting fields as RFC 4180 asks', () => {
    expect(toCsv(result)).toBe(
      [
        'size,size_value,source,metric,mean,std,runs',
        'S,50,dino,quadraticKappa,0.625,0.1767766952966369,2',
        'S,50,"a|b, ""c""",quadraticKappa,NaN,NaN,2',
        'F,all,dino,quadraticKappa,0.8,0,2',
        'F,all,"a|b, ""c""",quadraticKappa,0.5,0.3535533905932738,2',
        '',
      ].join('\n'),
    );
  });

  it('toCsv with runs: one line per run', () => {
    const lines = toCsv(result, { runs: true }).split('\n');
    expect(lines[0]).toBe('size,size_value,source,metric,repeat,seed,value,train_size,validation_size,wall_ms');
    expect(lines[1]).toBe('S,50,dino,quadraticKappa,1,100,0.5,50,0,10');
    expect(lines[4]).toBe('S,50,"a|b, ""c""",quadraticKappa,2,101,NaN,50,0,11');
    expect(lines).toHaveLength(2 * 2 * 2 + 2);
  });
});
