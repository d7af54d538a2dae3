import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';
import { reportHtml } from '../report/report-html.js';
import { parseResultsDocument } from '../report/results-document.js';
import type { ReportConfig } from './fuse-args.js';
import type { CliIo } from './linear-eval-command.js';

/** @internal Runs `dvme report results.json -o report.html`. */
export async function reportCommand(config: ReportConfig, io: CliIo): Promise<void> {
  let text: string;
  try {
    text = await readFile(config.input, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(
      `cannot read the results file ${JSON.stringify(config.input)} (${(e as { code?: string }).code ?? (e as Error).message}). ` +
        'Pass the .json that dvme fuse --out or dvme linear-eval --out wrote.',
      { cause: e },
    );
  }
  const started = performance.now();
  const html = reportHtml(parseResultsDocument(text), { nBoot: config.nBoot, ...(config.title ? { title: config.title } : {}) });
  await mkdir(dirname(config.out), { recursive: true });
  await writeFile(config.out, html);
  const ms = performance.now() - started;
  if (config.json) io.stdout.write(`${JSON.stringify({ out: config.out, bytes: Buffer.byteLength(html), wallMs: ms })}\n`);
  else io.stderr.write(`Wrote ${config.out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB, ${(ms / 1000).toFixed(1)} s)\n`);
}
