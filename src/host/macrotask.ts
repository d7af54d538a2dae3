/**
 * @internal One macrotask's pause: `setImmediate` where the host has it (Node, Bun, Deno),
 * else a `MessageChannel` message (browsers, workers; not throttled to 4 ms as nested
 * `setTimeout(0)` is), else `setTimeout(0)`. Timers, I/O, rendering and `AbortSignal.timeout`
 * run in it, which no chain of resolved promises allows.
 */
export function macrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return new Promise((resolve) => void setImmediate(resolve));
  }
  if (typeof g.MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new g.MessageChannel!();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(undefined);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * @internal A pause to await between units of work: it yields a macrotask only when
 * `everyMs` milliseconds have passed since the last yield (else it returns nothing, and an
 * `await` of it costs one microtask), so long stretches are cut without slowing fast loops.
 */
export function createYielder(everyMs: number): () => Promise<void> | void {
  let last = performance.now();
  return () => {
    if (performance.now() - last < everyMs) return;
    return macrotask().then(() => {
      last = performance.now();
    });
  };
}
