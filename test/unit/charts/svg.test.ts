import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attentionMapSvg, confusionMatrixSvg, escapeXml, learningCurveSvg, rocCurveSvg } from '../../../src/charts/index.js';
import { contrastRatio, LINE_COLORS, relativeLuminance, textColorOn, viridis } from '../../../src/charts/colors.js';
import { niceTicks } from '../../../src/charts/ticks.js';
import { all, byClass, parseXml, textOf } from './parse-svg.js';

const NASTY = `<script>alert("x")</script> & 'q'`;

const charts = (label: string) => ({
  roc: rocCurveSvg([{ fpr: [0, 0.5, 1], tpr: [0, 0.8, 1], label }], { title: label }),
  confusion: confusionMatrixSvg([[1, 2], [3, 4]], { labels: [label, 'b'], title: label }),
  learning: learningCurveSvg([{ epoch: 1, loss: 1 }, { epoch: 2, loss: 0.5 }], { metrics: [{ key: 'loss', label }], title: label }),
  attention: attentionMapSvg([[0.5, 0.5], [0.2, 0.8]], { labels: [label, 'b'], title: label }),
});

describe('escaping', () => {
  it('escapeXml escapes the five special characters and drops characters XML cannot hold', () => {
    expect(escapeXml(NASTY)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    expect(escapeXml('a\u0000b\u001bc\td\ne')).toBe('a\uFFFDb\uFFFDc\td\ne');
  });

  for (const [kind, svg] of Object.entries(charts(NASTY))) {
    it(`${kind}: a label with markup and quotes stays text, in elements and attributes`, () => {
      expect(svg).not.toMatch(/<script/i);
      const root = parseXml(svg); // throws on a raw < or " where it does not belong
      expect(all(root, (n) => n.name === 'script')).toEqual([]);
      const texts = all(root, (n) => n.name === 'text' || n.name === 'title').map(textOf);
      expect(texts).toContain(NASTY);
      const attributes = all(root, () => true).flatMap((n) => Object.values(n.attrs));
      if (kind === 'roc' || kind === 'learning') expect(attributes).toContain(NASTY);
    });
  }
});

describe('every chart', () => {
  for (const [kind, svg] of Object.entries(charts('x'))) {
    it(`${kind}: role="img", labelled by its <title> and <desc>, with a viewBox, deterministic`, () => {
      const root = parseXml(svg);
      expect(root.name).toBe('svg');
      expect(root.attrs['role']).toBe('img');
      const [titleId, descId] = root.attrs['aria-labelledby']!.split(' ');
      const title = root.children.find((n) => n.name === 'title')!;
      const desc = root.children.find((n) => n.name === 'desc')!;
      expect(title.attrs['id']).toBe(titleId);
      expect(desc.attrs['id']).toBe(descId);
      expect(textOf(title)).toBe('x');
      expect(textOf(desc).length).toBeGreaterThan(20);
      expect(root.attrs['viewBox']).toBe(`0 0 ${root.attrs['width']} ${root.attrs['height']}`);
      expect(charts('x')[kind as keyof ReturnType<typeof charts>]).toBe(svg);
      expect(byClass(root, 'heading').map(textOf)).toEqual(['x']);
    });
  }

  it('different charts get different element ids (several can share one page)', () => {
    const ids = Object.values(charts('x')).map((s) => parseXml(s).attrs['aria-labelledby']);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('niceTicks', () => {
  it('steps of 1, 2, 2.5 or 5 times a power of ten, covering the range, printed exactly', () => {
    expect(niceTicks(0, 1, 5).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.13, 0.97, 5).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 1, 4)).toMatchObject({ values: [0, 0.25, 0.5, 0.75, 1], decimals: 2 });
    expect(niceTicks(0.15, 0.65, 5).values).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(niceTicks(3, 97, 5)).toMatchObject({ values: [0, 20, 40, 60, 80, 100], decimals: 0 });
    expect(niceTicks(0.5, 0.5, 5).values[0]).toBeLessThan(0.5);
    for (const [lo, hi] of [[0.123, 0.456], [-3.2, 7.9], [1e-4, 3e-4], [12, 1234]] as const) {
      const t = niceTicks(lo, hi, 5);
      expect(t.min).toBeLessThanOrEqual(lo);
      expect(t.max).toBeGreaterThanOrEqual(hi);
      expect(t.values.length).toBeGreaterThanOrEqual(3);
      expect(t.values.length).toBeLessThanOrEqual(12);
      for (const v of t.values) expect(Number(v.toFixed(t.decimals))).toBe(v);
    }
  });
});

describe('colours', () => {
  it('viridis gets lighter as the value grows, from #440154 to #fde725', () => {
    expect(viridis(0)).toBe('#440154');
    expect(viridis(1)).toBe('#fde725');
    for (let t = 0.01; t <= 1; t += 0.01) expect(relativeLuminance(viridis(t))).toBeGreaterThan(relativeLuminance(viridis(t - 0.01)));
  });

  it('text on any viridis cell contrasts at least 4.5:1 (WCAG AA)', () => {
    for (let t = 0; t <= 1; t += 0.005) {
      const bg = viridis(t);
      expect(contrastRatio(bg, textColorOn(bg))).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('line colours are distinct; the first five contrast at least 3:1 with white (WCAG for graphics)', () => {
    expect(new Set(LINE_COLORS).size).toBe(LINE_COLORS.length);
    for (const c of LINE_COLORS.slice(0, 5)) expect(contrastRatio(c, '#ffffff')).toBeGreaterThanOrEqual(3);
    for (const c of LINE_COLORS) expect(contrastRatio(c, '#ffffff')).toBeGreaterThanOrEqual(2.2);
  });
});

describe('src/charts layering', () => {
  it('imports only its own files, errors, metrics, random and validation (no tfjs, no DOM, no node:*)', () => {
    const dir = join(import.meta.dirname, '../../../src/charts');
    const offending = readdirSync(dir).flatMap((f) =>
      // Doc comments hold usage examples (`import ... from 'dvme'`) that are not imports.
      [...readFileSync(join(dir, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)]
        .map((m) => m[1]!)
        .filter((spec) => !/^\.\/[\w-]+\.js$/.test(spec) && !/^\.\.\/(errors|metrics|random|validation)\//.test(spec))
        .map((spec) => `${f} imports ${spec}`),
    );
    expect(offending).toEqual([]);
    expect(readdirSync(dir).length).toBeGreaterThan(5);
  });
});
