/**
 * `dvme report`'s page in headless Chromium: it renders with no console error and no network
 * request, every section is there and every chart is a non-empty SVG; a full-page screenshot
 * is saved to .cache/screenshots/report.png (gitignored) to look at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportHtml } from '../../src/report/report-html.js';
import { smallResults } from '../unit/report/fixture.js';
import { launchChromium } from './harness/chromium.js';
import { root } from './harness/package.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('the HTML report in Chromium', () => {
  it('renders every section and chart offline, with no console error and no request', async () => {
    const html = reportHtml(await smallResults(), { nBoot: 100 });
    const dir = join(root, '.cache/screenshots');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== `file://${file}`) requests.push(r.url());
    });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const facts = await page.evaluate(() => {
      const svgs = Array.from(document.querySelectorAll('svg'));
      return {
        sections: Array.from(document.querySelectorAll('section[id], details[id]')).map((s) => s.id),
        parts: ['roc', 'confusion', 'per-class', 'learning', 'attention'].map((c) => document.querySelectorAll(`div.${c}`).length),
        svgs: svgs.length,
        emptySvgs: svgs.filter((s) => {
          const r = s.getBoundingClientRect();
          return r.width < 50 || r.height < 50 || s.querySelectorAll('path, rect, line, text').length < 5;
        }).length,
        chartErrors: document.querySelectorAll('.chart-error').length,
        rocCurves: document.querySelectorAll('.roc-curve').length,
        tables: document.querySelectorAll('table').length,
        scripts: document.querySelectorAll('script').length,
        width: document.documentElement.scrollWidth,
      };
    });
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    await page.close();
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    expect(facts.sections).toEqual(['table4', 'single', 'charts', 'size-S', 'size-F', 'metadata']);
    expect(facts.parts).toEqual([2, 2, 2, 2, 2]);
    // Per size: 5 ROC, 10 confusion matrices, 5 learning curves, 1 attention map.
    expect(facts.svgs).toBe(2 * (5 + 10 + 5 + 1));
    expect(facts.emptySvgs).toBe(0);
    expect(facts.chartErrors).toBe(0);
    expect(facts.rocCurves).toBe(2 * 5 * 3);
    expect(facts.scripts).toBe(0);
    expect(facts.width).toBeLessThanOrEqual(1400);
  });
});
