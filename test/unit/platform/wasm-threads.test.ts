import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { watchProcessListeners } from '../../../src/platform/node/process-listeners.js';
import { MAX_WASM_THREADS, prepareWasmThreads, resolveWasmThreads } from '../../../src/platform/node/wasm-threads.js';

// tfjs-backend-wasm runs single-threaded in Node (tensorflow/tfjs#3830); dvme/node starts its
// threaded build. A backend starts once per process, so each thread count runs in a child.
const CHILD = fileURLToPath(new URL('./wasm-threads-child.ts', import.meta.url));
const cores = Math.min(os.availableParallelism(), MAX_WASM_THREADS);

interface ChildReport {
  info: { backend: string; threads?: number; notes?: string[]; skipped?: { backend: string }[] };
  restored: boolean;
  leakedTensors: number;
  tempLeft: string[];
  errors: Record<string, number>;
  /** SHA-256 of each output's float32 bytes. */
  outputs: Record<string, string>;
}

async function child(threads: string, nodeFlags: string[] = [], mode?: 'refuse-load'): Promise<ChildReport> {
  // A timeout turns a hang (a worker that never starts) into a failure; exiting at all shows the
  // worker threads do not keep the process alive.
  const args = [...nodeFlags, '--import', 'tsx', CHILD, threads, ...(mode ? [mode] : [])];
  const tmp = mkdtempSync(join(os.tmpdir(), 'dvme-threads-test-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 60_000, encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
    return JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

describe('dvme/node starts the wasm backend with threads', () => {
  it('1, 2, 3 and auto threads: as many run, every output is bit-identical to 1 thread and PyTorch within 1e-4, nothing stays patched', async () => {
    const runs = Object.fromEntries(await Promise.all(['1', '2', '3', 'auto'].map(async (t) => [t, await child(t)] as const)));
    for (const [t, run] of Object.entries(runs)) {
      expect(run.info.backend).toBe('wasm');
      expect(run.info.threads).toBe(t === 'auto' ? cores : Number(t));
      expect(run.info.notes).toBeUndefined();
      expect(run.restored).toBe(true);
      expect(run.tempLeft).toEqual([]);
      expect(run.leakedTensors).toBe(0);
      for (const [name, err] of Object.entries(run.errors)) expect(err, `${t} threads, ${name}`).toBeLessThan(1e-4);
      expect(Object.keys(run.outputs).sort()).toEqual(Object.keys(runs['1']!.outputs).sort());
      for (const [name, bytes] of Object.entries(run.outputs)) expect(bytes, `${t} threads, ${name}`).toBe(runs['1']!.outputs[name]);
    }
    expect(Object.keys(runs['1']!.outputs)).toHaveLength(8);
  }, 180_000);

  it('starts under V8 and process flags (Node refuses them in an explicit worker execArgv), and falls back to 1 thread when workers cannot start', async () => {
    const [flags, refused, one] = await Promise.all([
      child('2', ['--max-old-space-size=512', '--expose-gc', '--stack-size=900']),
      child('2', [], 'refuse-load'),
      child('1'),
    ]);
    expect(flags.info.threads).toBe(2);
    expect(flags.info.notes).toBeUndefined();
    expect(refused.info).toMatchObject({ backend: 'wasm', threads: 1, notes: ['wasm: 1 of 2 threads: the threaded start failed: a worker could not start (simulated: this worker cannot start)'] });
    // The fallback is recorded as a note, not as a skipped candidate.
    expect(refused.info.skipped?.map((s) => s.backend)).not.toContain('wasm');
    for (const run of [flags, refused]) {
      expect(run.restored).toBe(true);
      expect(run.tempLeft).toEqual([]);
      expect(run.outputs).toEqual(one.outputs);
    }
  }, 180_000);
});

describe('wasm thread options and fallbacks', () => {
  it('resolves auto to the usable cores (at most 8) and rejects anything but 1-8', () => {
    expect(resolveWasmThreads('t', 'auto')).toBe(cores);
    expect(resolveWasmThreads('t', undefined)).toBe(cores);
    expect(resolveWasmThreads('t', 3)).toBe(3);
    for (const bad of [0, 9, 1.5, -1, Number.NaN, '2' as unknown as number]) {
      expect(() => resolveWasmThreads('initBackend', bad)).toThrow(InvalidArgumentError);
    }
    expect(() => resolveWasmThreads('initBackend', 0)).toThrow(/wasmThreads must be 'auto' or an integer from 1 to 8; received 0/);
  });

  it('patches nothing and says why for an untested tfjs version, a module it cannot place, or 1 thread', () => {
    const blob = globalThis.Blob;
    const cpus = os.cpus;
    const calls: number[] = [];
    const fake = (version: string) => ({ version_wasm: version, setThreadsCount: (n: number) => calls.push(n), getThreadsCount: () => 1 });
    const untested = prepareWasmThreads(fake('4.21.0'), 2);
    expect(untested.note).toMatch(/4\.22 only \(found 4\.21\.0\); running 1 thread/);
    const unplaced = prepareWasmThreads(fake('4.22.0'), 2);
    expect(unplaced.note).toMatch(/could not find wasm-out\/tfjs-backend-wasm-threaded-simd\.js of the loaded @tensorflow\/tfjs-backend-wasm/);
    const one = prepareWasmThreads(fake('4.22.0'), 1);
    expect(one.note).toBeUndefined();
    expect(calls).toEqual([1]);
    for (const s of [untested, unplaced, one]) s.restore(true);
    expect(globalThis.Blob).toBe(blob);
    expect(os.cpus).toBe(cpus);
    expect('Worker' in globalThis).toBe(false);
  });

  it('removes only the rethrowing process listeners added during the start, never the app\'s', () => {
    const app = (e: unknown) => void e;
    process.on('uncaughtException', app);
    const remove = watchProcessListeners();
    const rethrow = (e: unknown) => {
      throw e;
    };
    const appLater = (e: unknown) => console.error('logged', e);
    process.on('uncaughtException', rethrow);
    process.on('unhandledRejection', rethrow);
    process.on('unhandledRejection', appLater);
    try {
      remove();
      expect(process.listeners('uncaughtException').filter((l) => l === app || l === rethrow)).toEqual([app]);
      expect(process.listeners('unhandledRejection').filter((l) => l === appLater || l === rethrow)).toEqual([appLater]);
    } finally {
      for (const l of [app, rethrow]) process.removeListener('uncaughtException', l);
      for (const l of [appLater, rethrow]) process.removeListener('unhandledRejection', l);
    }
  });

  it('initBackend rejects a bad wasmThreads before starting anything, and a later call still works', async () => {
    const { initBackend } = await import('../../../src/node.js');
    await expect(initBackend({ wasmThreads: 0 })).rejects.toThrow(InvalidArgumentError);
    const info = await initBackend({ wasmThreads: 1 });
    expect(info.threads === undefined || info.threads === 1).toBe(true);
    if (info.backend === 'wasm') {
      // Once it runs, its threads are fixed.
      const late = prepareWasmThreads({ version_wasm: '4.22.0', setThreadsCount: () => undefined }, 2);
      expect(late.note).toBe('the wasm backend was already running, with the threads it started with');
    }
    // Options are checked on every call, also once the backend runs.
    await expect(initBackend({ wasmThreads: 9 })).rejects.toThrow(InvalidArgumentError);
  });
});

const PROCESS_CHILD = fileURLToPath(new URL('./wasm-threads-process-child.ts', import.meta.url));

interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs wasm-threads-process-child.ts as ESM (`--import tsx`, with `flags`) or as CommonJS. */
function processChild(format: 'esm' | 'cjs', threads: number, mode: 'throw' | 'reject' | 'handler', flags: string[] = []): Promise<ProcessRun> {
  const args =
    format === 'esm'
      ? [...flags, '--import', 'tsx', PROCESS_CHILD, String(threads), mode]
      : [...flags, '--require', 'tsx/cjs', '--input-type=commonjs', '-e', `process.argv.splice(1, 0, 'child'); require(${JSON.stringify(PROCESS_CHILD)})`, String(threads), mode];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number | null }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** At most `n` children at once: each starts a wasm backend, and the cores are shared. */
async function inBatches<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < jobs.length; i += n) out.push(...(await Promise.all(jobs.slice(i, i + n).map((j) => j()))));
  return out;
}

/** Node's own report of an uncaught error: the message near the top, no line of minified code. */
function expectNodeDefault(run: ProcessRun, message: RegExp, label: string): void {
  expect(run.code, `${label}: exit code\n${run.stderr.slice(0, 2000)}`).toBe(1);
  const longest = Math.max(...run.stderr.split('\n').map((l) => l.length));
  expect(longest, `${label}: longest stderr line`).toBeLessThan(400);
  const at = run.stderr.search(message);
  expect(at, `${label}: message in stderr\n${run.stderr.slice(0, 2000)}`).toBeGreaterThanOrEqual(0);
  expect(at, `${label}: message position`).toBeLessThan(600);
}

describe('the process after initBackend behaves as without dvme (emscripten adds throwing process handlers)', () => {
  it('an uncaught throw or unhandled rejection exits 1 with its message first; the app\'s handlers are called and it carries on (ESM, CJS, source maps; 1 and 2 threads)', async () => {
    const throws: [string, 'esm' | 'cjs', number, string[]][] = [
      ['esm, 1 thread', 'esm', 1, []],
      ['esm, 2 threads', 'esm', 2, []],
      ['esm, 2 threads, --enable-source-maps', 'esm', 2, ['--enable-source-maps']],
      ['cjs, 2 threads', 'cjs', 2, []],
    ];
    const rejects: [string, 'esm' | 'cjs', number][] = [
      ['esm, 2 threads', 'esm', 2],
      ['cjs, 1 thread', 'cjs', 1],
    ];
    const handlers: [string, 'esm' | 'cjs', number][] = [
      ['esm, 1 thread', 'esm', 1],
      ['esm, 2 threads', 'esm', 2],
      ['cjs, 2 threads', 'cjs', 2],
    ];
    const runs = await inBatches(3, [
      ...throws.map(([, f, t, flags]) => () => processChild(f, t, 'throw', flags)),
      ...rejects.map(([, f, t]) => () => processChild(f, t, 'reject')),
      ...handlers.map(([, f, t]) => () => processChild(f, t, 'handler')),
    ]);
    throws.forEach(([label, , t], i) => expectNodeDefault(runs[i]!, new RegExp(`Error: user boom after wasm with ${t} threads`), `throw, ${label}`));
    rejects.forEach(([label, , t], i) => expectNodeDefault(runs[throws.length + i]!, new RegExp(`Error: user rejection after wasm with ${t} threads`), `reject, ${label}`));
    handlers.forEach(([label, , t], i) => {
      const run = runs[throws.length + rejects.length + i]!;
      expect(run.code, `handler, ${label}\n${run.stderr.slice(0, 2000)}`).toBe(0);
      const report = JSON.parse(run.stdout.trim()) as { info: { threads: number }; after: unknown; disposed: unknown; exitCode: unknown; seen: string[]; sum: number };
      expect(report.info.threads).toBe(t);
      // The start leaves exactly the listeners there were (the app's own, added before it).
      expect(report.after).toEqual({ uncaught: 1, rejection: 0 });
      expect(report.exitCode).toBeNull();
      // tfjs's dispose removes every listener there was when it started, the app's included.
      expect(report.disposed).toEqual({ uncaught: 1, rejection: 1 });
      expect(report.seen.sort()).toEqual(['rejection user rejection', 'uncaught user boom']);
      expect(report.sum).toBe(64 ** 3);
    });
  }, 240_000);
});
