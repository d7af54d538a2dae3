import { DvmeError, InvalidArgumentError } from '../errors/index.js';
import { DVME_VERSION } from '../version.js';
import { parseCommand } from './args.js';
import { EMBED_HELP, LINEAR_EVAL_HELP, MAIN_HELP, MERGE_HELP } from './help.js';
import { embedCommand } from './embed-command.js';
import { linearEvalCommand, type CliIo } from './linear-eval-command.js';
import { mergeCommand } from './merge-command.js';

/**
 * @internal Runs the `dvme` command line and returns its exit code: 0 on success, 2 for a
 * usage mistake (with a pointer to `--help`), 1 for any other failure. Errors are printed as
 * one message, not a stack: dvme's messages say what went wrong and how to fix it.
 */
export async function runCli(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(argv, env);
  } catch (e) {
    io.stderr.write(`dvme: ${e instanceof Error ? e.message : String(e)}\n`);
    // Scripts that asked for JSON get it for usage mistakes too.
    if ((argv[0] === 'embed' || argv[0] === 'merge') && argv.includes('--json')) {
      io.stdout.write(`${JSON.stringify({ error: { code: DvmeError.is(e) ? e.code : 'USAGE', message: e instanceof Error ? e.message : String(e) } })}\n`);
    }
    return 2;
  }
  if (command.kind === 'help') {
    const topics: Record<string, string> = { 'linear-eval': LINEAR_EVAL_HELP, embed: EMBED_HELP, merge: MERGE_HELP };
    io.stdout.write((command.topic !== undefined && Object.hasOwn(topics, command.topic) ? topics[command.topic] : undefined) ?? MAIN_HELP);
    return 0;
  }
  if (command.kind === 'version') {
    io.stdout.write(`${DVME_VERSION}\n`);
    return 0;
  }
  try {
    if (command.kind === 'embed') {
      const summary = await embedCommand(command.config, io, env);
      if (command.config.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    } else if (command.kind === 'merge') {
      const summary = await mergeCommand(command.config, io);
      if (command.config.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    } else await linearEvalCommand(command.config, io);
    return 0;
  } catch (e) {
    const known = DvmeError.is(e);
    io.stderr.write(`\ndvme ${command.kind}: ${e instanceof Error ? (known ? e.message : (e.stack ?? e.message)) : String(e)}\n`);
    if ((command.kind === 'embed' || command.kind === 'merge') && command.config.json) {
      const code = known ? e.code : 'INTERNAL';
      io.stdout.write(`${JSON.stringify({ error: { code, message: e instanceof Error ? e.message : String(e) } })}\n`);
    }
    // A bad value found only now (a size above the pool, a wrong --out) is still a usage mistake.
    return InvalidArgumentError.is(e) ? 2 : 1;
  }
}
