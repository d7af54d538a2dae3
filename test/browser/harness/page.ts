import type { Browser, Page } from 'playwright-core';

/**
 * Opens `url` in a fresh context and returns what the page put in `window.__dvme` (a value or a
 * promise), with the console's errors and the page's uncaught errors for failure messages.
 */
export async function openAndRead<T>(browser: Browser, url: string): Promise<{ result: T; page: Page; log: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log: string[] = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  await page.goto(url);
  try {
    await page.waitForFunction(() => (window as { __dvme?: unknown }).__dvme !== undefined, undefined, { timeout: 90_000 });
  } catch (e) {
    throw new Error(`${url} never set window.__dvme. Console:\n${log.join('\n')}`, { cause: e });
  }
  const result = (await page.evaluate(() => (window as { __dvme?: unknown }).__dvme)) as T;
  return { result, page, log };
}
