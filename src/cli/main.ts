#!/usr/bin/env node
/**
 * The `dvme` command (Node only): `dvme linear-eval | fuse | report ...`; `dvme --help` lists the commands.
 *
 * @packageDocumentation
 */
import { initBackend } from '../node.js';
import { runCli } from './run.js';

// Ctrl-C stops between runs (exit code 130); a second Ctrl-C ends the process at once.
const controller = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('\ndvme: interrupted, stopping after the current step (Ctrl-C again to quit now)\n');
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});
const argv = process.argv.slice(2);
runCli(argv, { stdout: process.stdout, stderr: process.stderr, initBackend, argv, signal: controller.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dvme: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
