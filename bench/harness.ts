/**
 * The benchmark harness: timing, a Python reference runner, and table printing shared by every
 * `bench/*.bench.ts` group. Node-only (it spawns processes and writes files), which is why it
 * lives outside `src/`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Largest absolute difference from the reference still counted as agreement. */
export const DISAGREEMENT = 1e-9;

/** Where results are written as JSON (git-ignored). */
export const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'out');

/** What a group can use while it runs. */
export interface BenchContext {
  /** A fresh temporary folder for inputs shared with reference processes; removed afterwards. */
  readonly tmp: string;
  /** Prints a line under the group's heading. */
  log(line: string): void;
}

/**
 * A group of benchmarks, one per `bench/<name>.bench.ts` file, exported as `group`.
 * `npm run bench -- <name> ...` runs the named groups; no argument runs them all.
 */
export interface BenchGroup {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** One line of a group's result table: dvme against a reference on the same input. */
export interface BenchRow {
  readonly metric: string;
  readonly n: number;
  readonly dvmeMs: number;
  /** Median ms of the reference, or undefined when it could not run. */
  readonly referenceMs?: number;
  /** The headline value dvme computed (an AUC, a kappa, a variance). */
  readonly dvmeValue: number;
  /** The same value from the reference. */
  readonly referenceValue?: number;
  /** Largest absolute difference over every value compared (possibly more than the headline). */
  readonly maxAbsDiff?: number;
  /** Largest `maxAbsDiff` counted as agreement for this row; {@link DISAGREEMENT} by default. */
  readonly tolerance?: number;
}

/** Timing of a function: the median of `runs` timed calls after `warmup` untimed ones. */
export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly runsMs: readonly number[];
}

/**
 * Times `fn`: untimed warm-up calls let the JIT compile the hot paths, then the median of the
 * timed runs resists the odd GC pause. Returns the last result alongside the timing.
 */
export function time<T>(fn: () => T, { warmup = 2, runs = 7 } = {}): Timing & { result: T } {
  let result = fn();
  for (let i = 1; i < warmup; i++) result = fn();
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = fn();
    runsMs.push(performance.now() - t0);
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  return { medianMs: median(sorted), minMs: sorted[0], runsMs, result };
}

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Writes a vector as raw little-endian float64, for `np.fromfile(path, dtype='<f8')`. */
export function writeFloat64(path: string, values: Float64Array): void {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  writeFileSync(path, bytes);
}

/** The result of a Python reference run: its JSON output, or why there is none. */
export type PythonResult = { ok: true; output: unknown } | { ok: false; reason: string };

/**
 * Runs `/usr/bin/python3 script ...args` and parses the JSON it prints on its last stdout line.
 * `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` are removed from its environment: on this machine
 * they pin OpenBLAS to a slower kernel and would halve the reference's speed.
 */
export function runPython(script: string, args: string[], timeoutMs = 600_000): PythonResult {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const python = process.env.DVME_BENCH_PYTHON ?? '/usr/bin/python3';
  const res = spawnSync(python, [script, ...args], { env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 26 });
  if (res.error) return { ok: false, reason: `${python} could not run (${res.error.message})` };
  if (res.status !== 0) {
    const tail = (res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ');
    return { ok: false, reason: `${python} ${script} exited with ${res.status}: ${tail}` };
  }
  const last = res.stdout.trim().split('\n').pop() ?? '';
  try {
    return { ok: true, output: JSON.parse(last) };
  } catch {
    return { ok: false, reason: `${script} printed no JSON result (last line: ${last.slice(0, 200)})` };
  }
}

const fmtMs = (ms: number | undefined) => (ms === undefined ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const fmtValue = (v: number | undefined) =>
  v === undefined ? '-' : v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(11) : v.toPrecision(12);
const fmtDiff = (v: number | undefined) => (v === undefined ? '-' : v === 0 ? '0' : v.toExponential(1));

/** Formats rows as an aligned text table: metric, n, both timings, the speed ratio and both values. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['metric', 'n', 'dvme ms', 'reference ms', 'ratio (ref/dvme)', 'dvme value', 'reference value', 'max |diff|'];
  const cells = rows.map((r) => [
    r.metric,
    r.n.toLocaleString('en-US'),
    fmtMs(r.dvmeMs),
    fmtMs(r.referenceMs),
    r.referenceMs === undefined ? '-' : `${(r.referenceMs / r.dvmeMs).toFixed(2)}x`,
    fmtValue(r.dvmeValue),
    fmtValue(r.referenceValue),
    fmtDiff(r.maxAbsDiff),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((v, c) => (c < 1 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Runs one group in its own temporary folder, prints its table and saves it under `bench/out/`. */
export async function runGroup(group: BenchGroup): Promise<BenchRow[]> {
  console.log(`\n## ${group.name}: ${group.description}\n`);
  const tmp = mkdtempSync(join(tmpdir(), `dvme-bench-${group.name}-`));
  try {
    const rows = await group.run({ tmp, log: (line) => console.log(line) });
    console.log(`\n${formatTable(rows)}`);
    // Values must agree to rounding; a larger gap is a bug on one side, so fail the run.
    for (const r of rows) {
      if (r.maxAbsDiff !== undefined && !(r.maxAbsDiff <= (r.tolerance ?? DISAGREEMENT))) {
        console.log(`MISMATCH: ${r.metric} differs from the reference by ${r.maxAbsDiff}.`);
        process.exitCode = 1;
      }
    }
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, `${group.name}.json`), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
    return rows;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
