/**
 * @internal Resolves after a zero-delay timer: lets timers (and so abort requests) run between
 * batches in every JS runtime, where a chain of resolved promises alone would starve them.
 */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
