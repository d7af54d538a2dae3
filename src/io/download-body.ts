import { concatBytes } from './concat-bytes.js';

/** @internal The whole file's size, from `Content-Range` (206) or `Content-Length` when not re-encoded. */
export function announcedSize(response: Response, offset: number): number | undefined {
  const range = /\/(\d+)\s*$/.exec(response.headers.get('content-range') ?? '');
  if (response.status === 206 && range) return Number(range[1]);
  const encoding = response.headers.get('content-encoding');
  const length = response.headers.get('content-length');
  if ((encoding && encoding !== 'identity') || length === null || !/^\d+$/.test(length)) return undefined;
  return offset + Number(length);
}

/** @internal Frees a response whose body will not be read. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** @internal The body as a chunk reader; a `fetch` without streams gives it as one chunk. */
export function bodyReader(response: Response): Pick<ReadableStreamDefaultReader<Uint8Array>, 'read' | 'cancel'> {
  if (response.body) return response.body.getReader();
  let done = false;
  return {
    read: async () => {
      if (done) return { done: true, value: undefined };
      done = true;
      return { done: false, value: new Uint8Array(await response.arrayBuffer()) };
    },
    cancel: async () => {},
  };
}

/** @internal Accumulates the body in one preallocated buffer when the size is known, else in chunks. */
export class Sink {
  readonly #buffer: Uint8Array | undefined;
  #filled = 0;
  readonly #chunks: Uint8Array[] = [];

  constructor(total: number | undefined) {
    let buffer: Uint8Array | undefined;
    try {
      buffer = total === undefined ? undefined : new Uint8Array(total);
    } catch {
      buffer = undefined; // too large to allocate at once: collect chunks instead
    }
    this.#buffer = buffer;
  }

  add(chunk: Uint8Array): void {
    if (this.#buffer && this.#chunks.length === 0 && this.#filled + chunk.length <= this.#buffer.length) {
      this.#buffer.set(chunk, this.#filled);
      this.#filled += chunk.length;
    } else {
      this.#chunks.push(chunk);
    }
  }

  bytes(): Uint8Array {
    const head = this.#buffer?.subarray(0, this.#filled);
    if (head && this.#chunks.length === 0) return head;
    return concatBytes(head ? [head, ...this.#chunks] : this.#chunks);
  }
}

/**
 * @internal Fires when no progress is reported for `ms` milliseconds, or when the caller's
 * signal fires: `signal` goes to `fetch`, and `guard` races a read that a `fetch` without
 * signal support would never end.
 */
export class IdleWatch {
  readonly #controller = new AbortController();
  readonly #ms: number;
  readonly #user: AbortSignal | undefined;
  readonly #onUserAbort = (): void => this.#controller.abort(this.#user?.reason);
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** True once the timer, not the caller, fired. */
  idle = false;
  readonly signal: AbortSignal = this.#controller.signal;
  readonly #fired: Promise<never>;

  constructor(ms: number, user: AbortSignal | undefined) {
    this.#ms = ms;
    this.#user = user;
    this.#fired = new Promise<never>((_, reject) => {
      this.signal.addEventListener('abort', () => reject(this.signal.reason as Error), { once: true });
    });
    this.#fired.catch(() => undefined);
    user?.addEventListener('abort', this.#onUserAbort, { once: true });
    if (user?.aborted) this.#onUserAbort();
    this.progress();
  }

  /** Restarts the timer: bytes arrived. */
  progress(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.idle = true;
      this.#controller.abort(new Error(`no data for ${this.#ms} ms`));
    }, this.#ms);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** `work`, or the watch's abort reason as soon as it fires. */
  guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.#fired]);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#user?.removeEventListener('abort', this.#onUserAbort);
  }
}
