import { DvmeError, InvalidArgumentError } from '../errors/index.js';
import { DVME_VERSION } from '../version.js';
import { parseCommand } from './args.js';
import { LINEAR_EVAL_HELP, MAIN_HELP } from './help.js';
import { linearEvalCommand, type CliIo } from './linear-eval-command.js';

/**
 * @internal Runs the `dvme` command line and returns its exit code: 0 on success, 2 for a
 * usage mistake (with a pointer to `--help`), 1 for any other failure. Errors are printed as
 * one message, not a stack: dvme's messages say what went wrong and how to fix it.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand(argv);
  } catch (e) {
    io.stderr.write(`dvme: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    io.stdout.write(command.topic === 'linear-eval' ? LINEAR_EVAL_HELP : MAIN_HELP);
    return 0;
  }
  if (command.kind === 'version') {
    io.stdout.write(`${DVME_VERSION}\n`);
    return 0;
  }
  try {
    await linearEvalCommand(command.config, io);
    return 0;
  } catch (e) {
    const known = DvmeError.is(e);
    io.stderr.write(`\ndvme linear-eval: ${e instanceof Error ? (known ? e.message : (e.stack ?? e.message)) : String(e)}\n`);
    // A bad value found only now (a size above the pool, a wrong --out) is still a usage mistake.
    return InvalidArgumentError.is(e) ? 2 : 1;
  }
}
