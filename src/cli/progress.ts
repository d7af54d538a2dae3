/** @internal Where progress goes: stderr, or any stream with `write` (tests pass a fake). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** @internal A progress display for one task after another (embedding, then runs). */
export interface Progress {
  /** Reports `done` of `total` for the task named `label`. */
  update(label: string, done: number, total: number): void;
  /** Ends the current line (TTY) so later output starts clean. */
  finish(): void;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * @internal One progress line: `label [#####-----]  50% 5/10 eta 12s`, or the time taken once
 * done. The ETA assumes the remaining items take as long as those done since `sinceDone`
 * items (the count at the first report, whose own duration is unknown); it is left out until
 * there is a rate to go by.
 */
export function renderProgress(label: string, done: number, total: number, elapsedMs: number, sinceDone = 0, width = 20): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  let tail = '';
  if (done >= total) tail = ` ${duration(elapsedMs)}`;
  else if (done > sinceDone && elapsedMs > 0) tail = ` eta ${duration((elapsedMs / (done - sinceDone)) * (total - done))}`;
  return `${label} ${bar} ${pct} ${done}/${total}${tail}`;
}

/**
 * @internal Progress for a terminal or a log. On a TTY one line redraws in place (at most ten
 * times a second); elsewhere (a pipe, a CI log) plain lines are printed only when a task
 * starts, at every tenth of it and when it ends, so logs stay short and readable.
 */
export function createProgress(stream: ProgressStream, now: () => number = () => performance.now()): Progress {
  let label = '';
  let started = 0;
  let firstDone = 0;
  let lastDraw = -Infinity;
  let lastDecile = -1;
  let open = false;
  const tty = stream.isTTY === true;
  return {
    update(next, done, total) {
      const t = now();
      if (next !== label) {
        if (open) stream.write('\n');
        open = false;
        label = next;
        started = t;
        firstDone = done;
        lastDraw = -Infinity;
        lastDecile = -1;
      }
      const line = renderProgress(label, done, total, t - started, firstDone);
      if (tty) {
        if (done < total && t - lastDraw < 100) return;
        lastDraw = t;
        const cols = stream.columns ?? 80;
        stream.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
        open = true;
        if (done >= total) {
          stream.write('\n');
          open = false;
        }
        return;
      }
      const decile = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (decile === lastDecile) return;
      lastDecile = decile;
      stream.write(`${line}\n`);
    },
    finish() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
