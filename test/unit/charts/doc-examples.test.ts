import { describe, expect, it } from 'vitest';
import { attentionMapSvg, confusionMatrixSvg, escapeXml, learningCurveSvg, rocBand, rocCurveSvg } from '../../../src/charts/index.js';
import { confusionMatrix, delongCi, rocCurve } from '../../../src/metrics/index.js';
import { byClass, one, parseXml } from './parse-svg.js';

// What the TSDoc @example blocks of src/charts/ promise.
describe('TSDoc examples of the charts', () => {
  it('escapeXml', () => {
    expect(escapeXml('<script>alert("x")</script>')).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('rocBand and rocCurveSvg', () => {
    const yTrue = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
    const yScore = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.5, 0.9, 0.6, 0.3];
    const band = rocBand(yTrue, yScore, { nBoot: 1000, seed: 7 });
    expect(band.lower[50]! <= band.tpr[50]! && band.tpr[50]! <= band.upper[50]!).toBe(true);
    const svg = rocCurveSvg([{ ...rocCurve(yTrue, yScore), label: 'probe', band }]);
    expect(byClass(parseXml(svg), 'band')).toHaveLength(1);
    const six = rocCurveSvg([{ ...rocCurve(yTrue.slice(0, 6), yScore.slice(0, 6)), label: 'probe', ci: delongCi(yTrue.slice(0, 6), yScore.slice(0, 6)) }]);
    expect(six).toContain('probe: AUC 0.889, 95% CI');
  });

  it('confusionMatrixSvg', () => {
    const counts = confusionMatrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0]);
    expect(counts).toEqual([[1, 1], [1, 2]]);
    expect(byClass(parseXml(confusionMatrixSvg(counts, { labels: ['normal', 'pneumonia'], normalize: 'true' })), 'cell')).toHaveLength(4);
  });

  it('learningCurveSvg marks epoch 2', () => {
    const history = [
      { epoch: 1, loss: 0.62, value: 0.71, improved: true },
      { epoch: 2, loss: 0.48, value: 0.78, improved: true },
      { epoch: 3, loss: 0.41, value: 0.76, improved: false },
    ];
    expect(one(parseXml(learningCurveSvg(history, { metrics: ['loss', 'value'] })), 'best-epoch').attrs['data-epoch']).toBe('2');
  });

  it('attentionMapSvg', () => {
    expect(byClass(parseXml(attentionMapSvg([[0.7, 0.3], [0.45, 0.55]], { labels: ['swav', 'dino'] })), 'cell')).toHaveLength(4);
  });
});
