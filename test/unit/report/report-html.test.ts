import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { bestSingleSource } from '../../../src/protocol/index.js';
import { perClassMetrics } from '../../../src/report/per-class-metrics.js';
import { reportHtml } from '../../../src/report/report-html.js';
import { createResultsDocument, parseResultsDocument, type ResultsDocument } from '../../../src/report/results-document.js';
import { smallResults } from './fixture.js';

let doc: ResultsDocument;
let html: string;
beforeAll(async () => {
  doc = await smallResults();
  html = reportHtml(doc, { nBoot: 50 });
}, 60_000);

const count = (re: RegExp) => (html.match(re) ?? []).length;
/** The HTML of the element with this id up to the next section. */
const sectionOf = (id: string) => html.slice(html.indexOf(`<section id="${id}">`), html.indexOf('</section>', html.indexOf(`<section id="${id}">`)));

describe('reportHtml', () => {
  it('is one self-contained page: no script, no external reference of any kind', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(?!#)/);
    expect(html).toMatch(/<style>[^<]+<\/style>/);
  });

  it('has every section, and a chart section per size', () => {
    for (const id of ['table4', 'single', 'charts', 'metadata', 'size-S', 'size-F']) expect(html).toContain(`id="${id}"`);
    for (const cls of ['roc', 'confusion', 'per-class', 'learning', 'attention']) expect(count(new RegExp(`<div class="${cls}">`, 'g'))).toBe(2);
  });

  it('draws ROC curves per source and per fusion model, with one one-vs-rest curve, band and DeLong interval per class', () => {
    // 2 sources + 3 models, 2 sizes.
    expect(count(/<title id="[^"]+">ROC: /g)).toBe(10);
    const roc = html.slice(html.indexOf('<div class="roc">'), html.indexOf('<div class="confusion">'));
    expect((roc.match(/class="roc-curve"/g) ?? []).length).toBe(5 * 3);
    expect((roc.match(/class="band"/g) ?? []).length).toBe(5 * 3);
    expect(roc).toMatch(/95% CI 0\.\d+/);
  });

  it('draws counts and normalised confusion matrices; counts sum to repeats x test rows', () => {
    expect(count(/<title id="[^"]+">[^<]*, counts<\/title>/g)).toBe(10);
    expect(count(/<title id="[^"]+">[^<]*, normalised<\/title>/g)).toBe(10);
    const svg = html.slice(html.search(/<title id="[^"]+">good \(S\), counts<\/title>/));
    const cells = [...svg.slice(0, svg.indexOf('</svg>')).matchAll(/class="cell"[^>]*data-value="(\d+)"/g)].map((m) => Number(m[1]));
    expect(cells).toHaveLength(9);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(2 * 30);
  });

  it('draws learning curves with the kept epoch marked, and attention maps only for DVME with attention', () => {
    // 2 'paper' probes + 3 fusion models, 2 sizes.
    expect(count(/<title id="[^"]+">Learning curve: /g)).toBe(10);
    expect(count(/class="best-epoch" data-epoch/g)).toBe(10);
    expect(count(/<title id="[^"]+">Attention: dvme-source/g)).toBe(2);
    expect(html).not.toContain('Attention: dvme-noattn');
  });

  it('lays out Table 4: a row per size, the best fused source, every model with its paired difference', () => {
    const t = sectionOf('table4');
    expect((t.match(/<tr>/g) ?? []).length).toBe(1 + 2);
    expect((t.match(/Δ [+-]/g) ?? []).length).toBe(2 * 3);
    const e = doc.evaluation.kind === 'dvme.fusion-evaluation' ? doc.evaluation : undefined;
    for (const size of ['S', 'F']) {
      const best = bestSingleSource(e!, size);
      const c = e!.single.results[best][size];
      expect(t).toContain(`${c.mean.toFixed(4)} ± ${c.std.toFixed(4)}`);
      expect(t).toContain(`${e!.fusion.concat[size].mean.toFixed(4)} ± ${e!.fusion.concat[size].std.toFixed(4)}`);
    }
  });

  it('lists the metadata: every run with its seed, weights hash, versions and wall times', () => {
    const m = sectionOf('metadata');
    expect(m).toContain('ab'.repeat(32));
    expect(m).toContain('dvme fuse --embeddings good=a,weak=b');
    const e = doc.evaluation.kind === 'dvme.fusion-evaluation' ? doc.evaluation : undefined;
    for (const run of e!.single.results.good.S.runs) expect(m).toContain(`<td>${run.seed}</td>`);
    expect(m).toContain('evaluate 2.0 s');
  });

  it('escapes every name and text from the document', () => {
    expect(html).not.toContain('<b>&</b>');
    expect(html).toContain('weak &lt;b&gt;&amp;&lt;/b&gt;');
    expect(html).not.toContain('<i>escaped</i>');
    expect(html).toContain('Synthetic &lt;3 classes&gt;');
  });

  it('is deterministic and survives a JSON round trip', () => {
    expect(reportHtml(doc, { nBoot: 50 })).toBe(html);
    const again = parseResultsDocument(JSON.stringify(doc));
    expect(reportHtml(again, { nBoot: 50 })).toBe(html);
  });

  it('says so, instead of failing, when runs kept no details', () => {
    const bare = parseResultsDocument(JSON.stringify(JSON.parse(JSON.stringify(doc.evaluation), (k, v) => (k === 'details' ? undefined : v))));
    const page = reportHtml(bare, { nBoot: 0 });
    expect(page).toContain('kept no predictions');
    expect(page).toContain('id="table4"');
  });
});

describe('results documents', () => {
  it('refuse what is not one, saying what was found', () => {
    expect(() => parseResultsDocument('{oops')).toThrow(InvalidArgumentError);
    expect(() => parseResultsDocument('{"kind":"dvme-embedding-set"}')).toThrow(/kind is "dvme-embedding-set", expected 'dvme.results'/);
    expect(() => parseResultsDocument('{"kind":"dvme.results","version":2}')).toThrow(/version 2/);
    expect(() => createResultsDocument({ kind: 'x' } as never, { labels: [] }, doc.run)).toThrow(InvalidArgumentError);
    expect(() => reportHtml(doc, { nBoot: -1 })).toThrow(InvalidArgumentError);
  });

  it("mark fine-tuning documents with training 'finetune' (absent otherwise) and title the report after it", () => {
    expect('training' in doc).toBe(false);
    const single = doc.evaluation.kind === 'dvme.fusion-evaluation' ? doc.evaluation.single : doc.evaluation;
    const ft = createResultsDocument(single, doc.test, doc.run, { training: 'finetune' });
    expect(ft.training).toBe('finetune');
    const back = parseResultsDocument(JSON.stringify(ft));
    expect(back.training).toBe('finetune');
    const page = reportHtml(back, { nBoot: 0 });
    expect(page).toMatch(/<title>[^<]*: fine-tuning evaluation<\/title>/);
    expect(page).toContain('Fine-tuned backbone');
    expect(page).toContain('fine-tuned end to end (FineTuner)');
    expect(page).not.toContain('Linear probes (solver');
    expect(reportHtml(createResultsDocument(single, doc.test, doc.run), { nBoot: 0 })).toContain('Linear probes (solver');
    expect(() => createResultsDocument(single, doc.test, doc.run, { training: 'lora' as never })).toThrow(/options.training must be 'linear-probe' or 'finetune'; received "lora"/);
    expect(() => parseResultsDocument(JSON.stringify({ ...ft, training: 'lora' }))).toThrow(/training is "lora"/);
  });

  it('round probabilities to 6 decimals and read NaN scores back as NaN', () => {
    const p = doc.evaluation.kind === 'dvme.fusion-evaluation' ? (doc.evaluation.fusion.concat.S.runs[0].details!.probabilities as number[][]) : [];
    for (const row of p) for (const v of row) expect(Math.round(v * 1e6) / 1e6).toBe(v);
    const text = JSON.stringify(doc).replace(/"value":[0-9.e-]+/, '"value":null');
    const parsed = parseResultsDocument(text);
    const first = parsed.evaluation.kind === 'dvme.fusion-evaluation' ? parsed.evaluation.single.results.good.S.runs[0].value : 0;
    expect(first).toBeNaN();
  });
});

describe('perClassMetrics', () => {
  it("equals scikit-learn's classification_report (by hand) with a one-vs-rest AUC", () => {
    // y = [0,0,1,1,2,2], pred = [0,1,1,1,2,0]: class 0 tp 1 of 2 predicted, 2 true; class 1 tp 2 of 3 / 2; class 2 tp 1 of 1 / 2.
    const m = perClassMetrics([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], [0, 1, 2]);
    expect(m.map((c) => [c.precision, c.recall, c.support])).toEqual([
      [0.5, 0.5, 2],
      [2 / 3, 1, 2],
      [1, 0.5, 2],
    ]);
    expect(m[0].f1).toBeCloseTo(0.5, 12);
    expect(m[1].f1).toBeCloseTo(0.8, 12);
    expect(m[2].f1).toBeCloseTo(2 / 3, 12);
    expect(m[0].auc).toBeNaN();
    // Binary: the negative class ranks by 1 - p, so both AUCs are the AUC (here 3/4 by counting pairs).
    const b = perClassMetrics([0, 0, 1, 1], [0, 1, 1, 0], [0, 1], [0.1, 0.6, 0.8, 0.4]);
    expect(b[1].auc).toBe(0.75);
    expect(b[0].auc).toBe(0.75);
    expect(perClassMetrics([0, 0], [1, 1], [0, 1])[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0 });
  });
});
