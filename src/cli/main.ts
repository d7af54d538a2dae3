#!/usr/bin/env node
/**
 * The `dvme` command (Node only): `dvme linear-eval ...`; `dvme --help` lists the commands.
 *
 * @packageDocumentation
 */
import { initBackend } from '../node.js';
import { runCli } from './run.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, initBackend }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dvme: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
