/**
 * The demo page (examples/browser, `npm run demo:browser`) end to end in Chromium, served by
 * Vite's dev server, on the bundled RetinaMNIST sample and the shared
 * MobileNetV2: embed with a progress bar, train a probe and a DVME in a Web Worker while the
 * page keeps ticking, and show the metrics and charts. Saves a screenshot to
 * examples/out/browser-demo.png (gitignored) to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './harness/chromium.js';
import { root } from './harness/package.js';

const CONFIG = join(root, 'examples/browser/vite.config.ts');
const MODELS = join(process.env.DVME_SHARED_DIR ?? join(root, '../shared'), 'models');
const SCREENSHOT = join(root, 'examples/out/browser-demo.png');

interface Summary {
  name: string;
  kappa: { estimate: number; lower: number; upper: number };
  auc: { estimate: number; lower: number; upper: number };
  binaryAuc: { estimate: number; lower: number; upper: number };
  accuracy: number;
}
interface DemoState {
  state: string;
  error?: string;
  backend?: string;
  embedding?: { images: number; seconds: number; imagesPerSecond: number };
  heartbeat?: { ticks: number; maxGapMs: number; p95GapMs: number; trainingMs: number; thread: string };
  results?: Summary[];
  workerTensors?: { before: number; after: number };
}

let browser: Browser;
let server: ViteDevServer;
let url: string;
let workerHeartbeat: DemoState['heartbeat'];

beforeAll(async () => {
  if (!existsSync(join(MODELS, 'mobilenet_v2_nsfwjs/model.json'))) throw new Error(`The demo test needs the shared models in ${MODELS} ($DVME_SHARED_DIR/models).`);
  process.env.DVME_MODELS_DIR = MODELS;
  // The dev server (`npm run demo:browser`): a production build takes minutes on a loaded machine.
  server = await createServer({ configFile: CONFIG, logLevel: 'warn', server: { port: 20_000 + Math.floor(Math.random() * 20_000), strictPort: false, host: '127.0.0.1' } });
  await server.listen();
  url = server.resolvedUrls?.local[0] ?? '';
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function waitFor(page: Page, states: string[], log: string[], timeout = 150_000): Promise<DemoState> {
  try {
    await page.waitForFunction((s) => s.includes((window as unknown as { __demo: DemoState }).__demo?.state), states, { timeout, polling: 250 });
  } catch (e) {
    throw new Error(`The demo never reached ${states.join(' / ')}. Console:\n${log.join('\n')}`, { cause: e });
  }
  return page.evaluate(() => (window as unknown as { __demo: DemoState }).__demo);
}

describe('the demo page in Chromium', () => {
  it('embeds the RetinaMNIST sample, trains a probe and a DVME in a worker while the page keeps ticking, and shows the results', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    // The dev server optimises tfjs and transforms dvme's sources on the first visit.
    await page.goto(url, { timeout: 150_000 });
    await waitFor(page, ['ready', 'error'], log, 60_000);
    await expect(page.locator('#data-summary')).toBeDefined();
    expect(await page.locator('#data-summary').textContent()).toContain('200 images, 5 classes (80 / 26 / 42 / 34 / 18), 120 to train and 80 to test');

    await page.click('#embed');
    const embedded = await waitFor(page, ['embedded', 'error'], log);
    expect(embedded.error, log.join('\n')).toBeUndefined();
    expect(embedded.backend).toBe('wasm');
    expect(await page.locator('#embed-progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(1);

    await page.click('#train');
    const done = await waitFor(page, ['done', 'error'], log);
    expect(done.error, log.join('\n')).toBeUndefined();
    console.info(`demo: ${JSON.stringify({ embedding: done.embedding, heartbeat: done.heartbeat, workerTensors: done.workerTensors })}`);
    // The page kept ticking while the worker trained: a 10 ms timer fired all along (compared
    // with training on the page's thread in the next test).
    const hb = done.heartbeat!;
    expect(hb.thread).toBe('worker');
    expect(hb.ticks).toBeGreaterThan(hb.trainingMs / 100);
    expect(hb.maxGapMs).toBeLessThan(2000);
    workerHeartbeat = hb;
    expect(done.workerTensors!.after).toBe(done.workerTensors!.before);

    const [dvme, probe] = done.results!;
    for (const m of [dvme!, probe!]) {
      expect(m.kappa.lower).toBeLessThanOrEqual(m.kappa.estimate);
      expect(m.kappa.estimate).toBeLessThanOrEqual(m.kappa.upper);
      expect(m.auc.lower).toBeLessThanOrEqual(m.auc.estimate);
      // Better than chance on referable DR, as frozen ImageNet features are on RetinaMNIST.
      expect(m.binaryAuc.estimate).toBeGreaterThan(0.6);
    }
    console.info(`demo results: ${JSON.stringify(done.results)}`);
    // Every chart is there, with its accessible title.
    for (const [id, kind] of [
      ['#roc', 'ROC'],
      ['#attention', 'attention'],
      ['#cm-dvme', 'confusion matrix'],
      ['#cm-probe', 'confusion matrix'],
      ['#curve', 'training'],
    ] as const) {
      expect(await page.locator(`${id} svg title`).first().textContent(), id).toContain(kind);
    }
    mkdirSync(join(root, 'examples/out'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await context.close();
  });

  it('holds the page up more when the same training runs on its thread (?trainOn=page): the worker is what keeps it responsive', async () => {
    expect(workerHeartbeat, 'runs after the worker test').toBeDefined();
    const context = await browser.newContext();
    const page = await context.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    await page.goto(`${url}?trainOn=page`, { timeout: 150_000 });
    await waitFor(page, ['ready', 'error'], log, 60_000);
    await page.click('#embed');
    await waitFor(page, ['embedded', 'error'], log);
    await page.click('#train');
    const done = await waitFor(page, ['done', 'error'], log);
    expect(done.error, log.join('\n')).toBeUndefined();
    const onPage = done.heartbeat!;
    console.info(`heartbeat while training: in a worker ${JSON.stringify(workerHeartbeat)}; on the page ${JSON.stringify(onPage)}`);
    expect(onPage.thread).toBe('page');
    expect(workerHeartbeat!.p95GapMs).toBeLessThan(onPage.p95GapMs);
    expect(workerHeartbeat!.maxGapMs).toBeLessThan(onPage.maxGapMs);
    await context.close();
  });
});
