import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the test server answers one path. */
export interface Route {
  readonly body: Uint8Array;
  /** Answer this status with a short text body instead of the file. */
  readonly status?: number;
  /** Send the whole file with 200 even when asked for a range (as some servers do). */
  readonly ignoreRange?: boolean;
  /** Omit Content-Length (chunked transfer), so the client cannot know the size up front. */
  readonly noLength?: boolean;
  /** Bytes per write; with `delayMs`, the body trickles in. @defaultValue the whole rest */
  readonly chunkSize?: number;
  /** Pause between writes. */
  readonly delayMs?: number;
  /** Drop the connection after sending this many bytes of the body. */
  readonly dropAfter?: number;
  /** Send this many bytes of the body, then nothing more, holding the connection open. */
  readonly stallAfter?: number;
  /** Never send the response headers (a server that accepted the connection and hung). */
  readonly hang?: boolean;
  /** Repeat the body without end and without a Content-Length, until the client goes. */
  readonly endless?: boolean;
  /** A Content-Length to announce instead of the body's (the body is then cut short). */
  readonly announce?: number;
  /** An `ETag` to send; a range request whose `If-Range` differs gets the whole file. */
  readonly etag?: string;
  /** A `Last-Modified` to send, honoured in `If-Range` like `etag`. */
  readonly lastModified?: string;
}

/** One request the server saw. */
export interface Seen {
  readonly path: string;
  readonly range: string | undefined;
  /** The `If-Range` header, present only when the client sent one. */
  readonly ifRange?: string;
}

/** A `node:http` server on 127.0.0.1 with a port chosen by the OS. */
export interface TestServer {
  readonly requests: Seen[];
  url(path: string): string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function send(res: ServerResponse, bytes: Uint8Array, route: Route): Promise<void> {
  if (route.endless) {
    while (!res.destroyed) {
      // Wait for the client to take each chunk, as a real server does, so memory stays flat.
      if (!res.write(bytes)) await new Promise((r) => res.once('drain', r).once('close', r));
    }
    return;
  }
  if (route.stallAfter !== undefined) {
    res.write(bytes.subarray(0, route.stallAfter));
    return; // the connection stays open until the client or close() ends it
  }
  const step = route.chunkSize ?? Math.max(1, bytes.length);
  const end = route.dropAfter ?? bytes.length;
  for (let at = 0; at < end && !res.destroyed; at += step) {
    res.write(bytes.subarray(at, Math.min(end, at + step)));
    if (route.delayMs) await sleep(route.delayMs);
  }
  if (route.dropAfter !== undefined) {
    await sleep(20); // let the bytes so far reach the client
    res.destroy();
  } else {
    res.end();
  }
}

function handle(routes: Readonly<Record<string, Route>>, req: IncomingMessage, res: ServerResponse): void {
  const route = routes[req.url ?? ''];
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  if (route.status !== undefined) {
    res.writeHead(route.status, { 'content-type': 'text/plain' }).end(`status ${route.status}`);
    return;
  }
  if (route.hang) return;
  const { body } = route;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
  if (route.etag !== undefined) headers.etag = route.etag;
  if (route.lastModified !== undefined) headers['last-modified'] = route.lastModified;
  const ifRange = req.headers['if-range'];
  const current = ifRange === undefined || ifRange === route.etag || ifRange === route.lastModified;
  if (range && !route.ignoreRange && current) {
    const start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    if (!route.noLength) headers['content-length'] = String(body.length - start);
    res.writeHead(206, headers);
    void send(res, body.subarray(start), route);
    return;
  }
  if (route.announce !== undefined) headers['content-length'] = String(route.announce);
  else if (!route.noLength && !route.endless) headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  void send(res, body, route);
}

/** Starts a server for `routes` (path -> route); close it in `afterEach`/`afterAll`. */
export async function startServer(routes: Readonly<Record<string, Route>>): Promise<TestServer> {
  const requests: Seen[] = [];
  const server = createServer((req, res) => {
    const ifRange = req.headers['if-range'] as string | undefined;
    requests.push({ path: req.url ?? '', range: req.headers.range, ...(ifRange === undefined ? {} : { ifRange }) });
    handle(routes, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    requests,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Deterministic pseudo-random bytes, so checksums are stable across runs. */
export function testBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
