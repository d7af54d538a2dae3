/**
 * The browser demo (`npm run demo:browser`): a Vite app in this folder. dvme's entry points
 * map to the sources, as in an app that installed the package. The pretrained models are not
 * in the repo: /models/ serves DVME_MODELS_DIR (default: ../shared/models beside the repo, or
 * $DVME_SHARED_DIR/models), and the page takes any model URL (`?model=`). tfjs-backend-wasm's
 * .wasm files are served at /wasm/ and copied into the build, as docs/browser.md tells apps to.
 */
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const here = import.meta.dirname;
const repo = join(here, '../..');
const src = (file: string) => join(repo, 'src', file);
const wasmDir = join(repo, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
const modelsDir = process.env.DVME_MODELS_DIR ?? join(process.env.DVME_SHARED_DIR ?? join(repo, '../shared'), 'models');

const TYPES: Record<string, string> = { '.json': 'application/json', '.wasm': 'application/wasm', '.bin': 'application/octet-stream' };

/** Serves `/models/` and `/wasm/` read-only (GET and HEAD: dvme probes .wasm files with HEAD). */
function demoFiles(): Plugin {
  const mounts: Array<[string, string]> = [
    ['/models/', modelsDir],
    ['/wasm/', wasmDir],
  ];
  const handle = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const mount = mounts.find(([prefix]) => path.startsWith(prefix));
    if (!mount) return next();
    const root = normalize(mount[1]);
    const file = normalize(join(root, path.slice(mount[0].length)));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end(`not found: ${path}${mount[0] === '/models/' ? ` (models are served from ${root}; set DVME_MODELS_DIR)` : ''}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': String(statSync(file).size) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };
  let outDir = '';
  return {
    name: 'dvme-demo-files',
    configResolved: (config) => void (outDir = config.build.outDir),
    configureServer: (server) => void server.middlewares.use(handle),
    configurePreviewServer: (server) => void server.middlewares.use(handle),
    // The build gets the .wasm files (never the models: a deployment serves its own).
    writeBundle() {
      mkdirSync(join(outDir, 'wasm'), { recursive: true });
      for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(outDir, 'wasm', f));
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [demoFiles()],
  resolve: {
    alias: [
      { find: /^dvme$/, replacement: src('index.ts') },
      { find: /^dvme\/metrics$/, replacement: src('metrics/index.ts') },
      { find: /^dvme\/browser$/, replacement: src('browser.ts') },
    ],
  },
  // Known up front, so the dev server never re-optimises and reloads the page mid-run.
  optimizeDeps: {
    include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-webgpu', 'jpeg-js'],
  },
  worker: { format: 'es' },
  build: { outDir: join(repo, 'examples/out/browser-demo'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
