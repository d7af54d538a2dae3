/**
 * emscripten's Node glue (in both of tfjs-backend-wasm's builds, threaded or not) runs, when tfjs
 * starts the module, `process.on('uncaughtException', e => { throw e })` and
 * `process.on('unhandledRejection', r => { throw r })`. A listener that throws makes Node exit
 * with code 7 instead of 1, print the listener's line of minified code (~54 KB under source
 * maps) before the app's error, and end apps whose own handlers log and carry on. emscripten's
 * other Node hook, `quit_` (sets `process.exitCode` and throws), runs only when the wasm calls
 * `exit()`, which tfjs's kernels never do; `abort` throws without touching `process`.
 */
const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

type Listener = (...args: never[]) => unknown;

/** `process.listeners`, whose overloads take one event name at a time. */
const listeners = (event: (typeof EVENTS)[number]): Listener[] => process.listeners(event as 'uncaughtException');

/**
 * emscripten's listeners only rethrow their argument: a short function with a `throw`, whatever
 * a minifier renamed. Checked so that an app's handler added while the backend starts (from
 * another async task) stays, unless it too is a bare rethrow, which would end the process anyway.
 */
function rethrows(listener: Listener): boolean {
  const source = Function.prototype.toString.call(listener);
  return source.length < 200 && /\bthrow\b/.test(source);
}

/**
 * @internal Notes the process's `uncaughtException` / `unhandledRejection` listeners; the
 * returned function removes those added since that rethrow (emscripten's), leaving the app's.
 * Call it before the wasm module starts and the result once it has started or failed.
 */
export function watchProcessListeners(): () => void {
  const before = new Map(EVENTS.map((event) => [event, new Set(listeners(event))]));
  return () => {
    for (const event of EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)!.has(listener) && rethrows(listener)) process.removeListener(event as 'uncaughtException', listener as never);
      }
    }
  };
}

/**
 * @internal tfjs-backend-wasm's `dispose` (on `tf.removeBackend('wasm')`, `tf.engine().reset()`)
 * removes every `uncaughtException` / `unhandledRejection` listener there was once its module had
 * started, the app's included (its filter of emscripten's own is always true). Wraps the running
 * backend's `dispose` to put back, in their order, the listeners it took.
 */
export function keepListenersThroughDispose(backend: unknown): void {
  const api = (backend as { wasm?: { tfjs?: { dispose?: unknown } } } | undefined)?.wasm?.tfjs;
  const dispose = api?.dispose;
  if (api === undefined || typeof dispose !== 'function') return;
  api.dispose = function (this: unknown, ...args: unknown[]) {
    // rawListeners keeps `once` listeners as once-wrappers.
    const kept = EVENTS.map((event) => [event, process.rawListeners(event as 'uncaughtException') as Listener[]] as const);
    try {
      return dispose.apply(this, args) as unknown;
    } finally {
      for (const [event, raw] of kept) {
        const now = process.rawListeners(event as 'uncaughtException');
        if (raw.length === now.length && raw.every((l, i) => l === now[i])) continue;
        process.removeAllListeners(event);
        for (const l of raw) process.on(event as 'uncaughtException', l as never);
      }
    }
  };
}
