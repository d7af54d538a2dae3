import { AbortError, DownloadError, DvmeError, InvalidArgumentError } from '../errors/index.js';
import { DVME_VERSION } from '../version.js';
import { parseCommand, type Command } from './args.js';
import { embedCommand } from './embed-command.js';
import { finetuneCommand } from './finetune-command.js';
import { helpFor } from './help.js';
import { evaluationCommand, type CliIo } from './linear-eval-command.js';
import { mergeCommand } from './merge-command.js';
import { reportCommand } from './report-command.js';

/**
 * @internal The exit codes of `dvme` (listed in `dvme --help` and docs/cli.md): scripts may
 * rely on them.
 */
export const EXIT = {
  ok: 0,
  /** Anything else: a bug, out of memory, a failure with no better code. */
  failure: 1,
  /** A usage mistake: unknown command or option, bad value, a path that cannot be read. */
  usage: 2,
  /** The input data is wrong: a malformed embedding set, mismatched sets, unreadable images or checkpoints. */
  data: 3,
  /** A download failed (network, HTTP status, checksum) or --offline had nothing cached. */
  download: 4,
  /** Interrupted (Ctrl-C / SIGINT, or aborted). */
  interrupted: 130,
} as const;

const DATA_ERRORS = ['DATASET', 'EMBEDDING_SET_FORMAT', 'PROVENANCE_MISMATCH', 'CHECKPOINT_FORMAT', 'IMAGE_DECODE'];

/** @internal The exit code of an error. */
export function exitCodeOf(e: unknown): number {
  if (AbortError.is(e)) return EXIT.interrupted;
  if (InvalidArgumentError.is(e)) return EXIT.usage;
  if (DownloadError.is(e)) return EXIT.download;
  if (DvmeError.is(e) && DATA_ERRORS.includes(e.code)) return EXIT.data;
  return EXIT.failure;
}

/**
 * @internal Runs the `dvme` command line and returns its exit code (see {@link EXIT}). Errors
 * are printed as one message, not a stack (dvme's messages say what went wrong and how to fix
 * it); with `--json` stdout also gets `{"error": {name, message, exitCode}}`.
 */
export async function runCli(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  let command: Command;
  const json = argv.includes('--json');
  const fail = (name: string, e: unknown, code: number): number => {
    const known = DvmeError.is(e);
    const message = e instanceof Error ? (known || code === EXIT.usage ? e.message : (e.stack ?? e.message)) : String(e);
    io.stderr.write(`${name === 'dvme' ? '' : '\n'}${name}: ${message}\n`);
    if (json) {
      io.stdout.write(`${JSON.stringify({ error: { name: e instanceof Error ? e.name : 'Error', ...(DvmeError.is(e) ? { code: e.code } : {}), message: e instanceof Error ? e.message : String(e), exitCode: code } })}\n`);
    }
    return code;
  };
  try {
    command = parseCommand(argv, env);
  } catch (e) {
    return fail('dvme', e, EXIT.usage);
  }
  if (command.kind === 'help') {
    io.stdout.write(helpFor(command.topic));
    return EXIT.ok;
  }
  if (command.kind === 'version') {
    io.stdout.write(`${DVME_VERSION}\n`);
    return EXIT.ok;
  }
  try {
    if (command.kind === 'embed') {
      const summary = await embedCommand(command.config, io, env);
      if (command.config.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    } else if (command.kind === 'merge') {
      const summary = await mergeCommand(command.config, io);
      if (command.config.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    } else if (command.kind === 'finetune') {
      await finetuneCommand(command.config, { ...io, argv });
    } else if (command.kind === 'report') await reportCommand(command.config, { ...io, argv });
    else await evaluationCommand(command.kind, command.config, { ...io, argv });
    return EXIT.ok;
  } catch (e) {
    return fail(`dvme ${command.kind}`, e, exitCodeOf(e));
  }
}
