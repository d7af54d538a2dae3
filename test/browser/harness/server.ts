import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

/** A static file server on 127.0.0.1 (a secure context for Chromium: Cache Storage, WebGPU). */
export interface StaticServer {
  readonly url: string;
  /** URL paths fetched that answered 404, oldest first. */
  readonly notFound: string[];
  close(): Promise<void>;
}

/**
 * Serves `mounts` (URL prefix -> folder, longest prefix first) read-only, with GET and HEAD.
 * `isolated` adds the headers that make a page cross-origin isolated (wasm threads).
 */
export async function serveStatic(mounts: Record<string, string>, options: { isolated?: boolean } = {}): Promise<StaticServer> {
  const entries = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  const notFound: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const mount = entries.find(([prefix]) => path.startsWith(prefix));
    let file: string | undefined;
    if (mount) {
      const root = normalize(mount[1]);
      const candidate = normalize(join(root, path.slice(mount[0].length)));
      // No path out of the mount.
      if (candidate === root || candidate.startsWith(root + sep)) file = candidate.endsWith(sep) || path.endsWith('/') ? join(candidate, 'index.html') : candidate;
    }
    let size = -1;
    try {
      if (file && statSync(file).isFile()) size = statSync(file).size;
    } catch {
      size = -1;
    }
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (options.isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    if (size < 0 || !file) {
      notFound.push(path);
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': String(size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    notFound,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
