import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Packs the package as npm would publish it, installs the tarball into a fresh folder and
// imports every subpath from there, as ESM and as CJS. The peers (tfjs) are linked from this
// repo's node_modules so the test needs no network.
const root = join(import.meta.dirname, '../..');
const subpaths = ['dvme', 'dvme/metrics', 'dvme/node', 'dvme/node-gpu', 'dvme/browser'];
const images = join(root, 'test/fixtures/images');
let app: string;
let bare: string;
let withJpeg: string;

function run(cwd: string, code: string, type: 'module' | 'commonjs'): string {
  return execFileSync(process.execPath, ['--input-type', type, '-e', code], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

const exec = promisify(execFile);

function install(dir: string, tarballDir: string, linkPeers: boolean): void {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"name":"app","private":true}');
  execFileSync('tar', ['-xzf', join(tarballDir, readdirSync(tarballDir)[0] as string), '-C', dir]);
  cpSync(join(dir, 'package'), join(dir, 'node_modules', 'dvme'), { recursive: true });
  rmSync(join(dir, 'package'), { recursive: true });
  if (linkPeers) {
    symlinkSync(join(root, 'node_modules', '@tensorflow'), join(dir, 'node_modules', '@tensorflow'));
  }
}

beforeAll(async () => {
  // Asynchronous, so this worker keeps answering vitest while the build runs (a synchronous
  // build of a minute or more ended runs with "Timeout calling onTaskUpdate" on a busy machine).
  await exec('npm', ['run', 'build', '--silent'], { cwd: root });
  const tarballs = mkdtempSync(join(tmpdir(), 'dvme-pack-'));
  await exec('npm', ['pack', '--silent', '--pack-destination', tarballs], { cwd: root });
  app = mkdtempSync(join(tmpdir(), 'dvme-app-'));
  bare = mkdtempSync(join(tmpdir(), 'dvme-bare-'));
  withJpeg = mkdtempSync(join(tmpdir(), 'dvme-jpeg-'));
  install(app, tarballs, true);
  install(bare, tarballs, false);
  install(withJpeg, tarballs, true);
  symlinkSync(join(root, 'node_modules', 'jpeg-js'), join(withJpeg, 'node_modules', 'jpeg-js'));
  rmSync(tarballs, { recursive: true });
});

afterAll(() => {
  for (const dir of [app, bare, withJpeg]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it.each(subpaths)('%s imports as ESM and as CJS with the same export names', (subpath) => {
    const esm = run(app, `import * as m from '${subpath}'; console.log(Object.keys(m).sort().join())`, 'module');
    const cjs = run(app, `console.log(Object.keys(require('${subpath}')).sort().join())`, 'commonjs');
    expect(esm.length).toBeGreaterThan(0);
    expect(cjs).toBe(esm);
  });

  it('dvme/metrics computes without tfjs installed', () => {
    const code = `const { cohenKappaScore } = require('dvme/metrics');
      console.log(cohenKappaScore([0, 1, 2, 2], [0, 1, 2, 1], { weights: 'quadratic' }))`;
    expect(Number(run(bare, code, 'commonjs'))).toBeCloseTo(0.8, 12);
    const esm = `import { rocAucScore } from 'dvme/metrics'; console.log(rocAucScore([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))`;
    expect(Number(run(bare, esm, 'module'))).toBe(0.75);
  });

  it('dvme/node activates a backend from the tarball, wasm with one thread per core (ESM and CJS)', () => {
    // The threaded wasm start-up finds tfjs's files from the installed package; the process must
    // still exit by itself (execFileSync waits for it).
    const work = `const tf = await import('@tensorflow/tfjs-core'); const s = tf.sum(tf.matMul(tf.ones([256, 256]), tf.ones([256, 256]))).dataSync()[0];`;
    const esm = `import { initBackend } from 'dvme/node'; const i = await initBackend(); ${work} console.log(i.backend, i.threads, s)`;
    const cjs = `require('dvme/node').initBackend().then(async (i) => { ${work} console.log(i.backend, i.threads, s) })`;
    const expected = run(app, esm, 'module');
    expect([`wasm ${Math.min(availableParallelism(), 8)} ${256 ** 3}`, `tensorflow undefined ${256 ** 3}`]).toContain(expected);
    expect(run(app, cjs, 'commonjs')).toBe(expected);
  });

  it('dvme/node decodes PNG without jpeg-js, and names the install command for a JPEG (ESM and CJS)', () => {
    const body = (imp: string) => `${imp}
      const png = await decodeImage(${JSON.stringify(join(images, 'rgb8.png'))});
      const jpeg = await decodeImage(${JSON.stringify(join(images, 'rgb-420.jpg'))}).then(
        (j) => [j.width, j.height, j.channels].join('x'),
        (e) => [BackendUnavailableError.is(e), e.message.includes('npm install jpeg-js')].join(' '));
      console.log([png.width, png.height, png.channels].join('x'), jpeg);`;
    const esm = body("import { BackendUnavailableError, decodeImage } from 'dvme/node';");
    const cjs = `(async () => { ${body("const { BackendUnavailableError, decodeImage } = require('dvme/node');")} })()`;
    // jpeg-js is a dependency that npm installs; this app lacks it on purpose.
    expect(run(app, esm, 'module')).toBe('28x28x3 true true');
    expect(run(app, cjs, 'commonjs')).toBe('28x28x3 true true');
    expect(run(withJpeg, esm, 'module')).toBe('28x28x3 53x45x3');
    expect(run(withJpeg, cjs, 'commonjs')).toBe('28x28x3 53x45x3');
  });

  it('after dvme/node starts wasm, an uncaught error ends the process as Node does and app handlers run (ESM and CJS)', () => {
    const child = (code: string, type: 'module' | 'commonjs') =>
      spawnSync(process.execPath, ['--input-type', type, '-e', code], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    const start = (imp: string) => `${imp} initBackend({ wasmThreads: 2 }).then((i) => { if (i.backend !== 'wasm') process.exit(3);`;
    const throws = (imp: string) => `${start(imp)} setTimeout(() => { throw new Error('user boom'); }); });`;
    for (const [type, imp] of [['module', "import { initBackend } from 'dvme/node';"], ['commonjs', "const { initBackend } = require('dvme/node');"]] as const) {
      const r = child(throws(imp), type);
      // tfjs-node, where installed, adds no listeners: the test is about wasm.
      if (r.status === 3) continue;
      expect(r.status, `${type}\n${r.stderr.slice(0, 1000)}`).toBe(1);
      expect(r.stderr.indexOf('Error: user boom')).toBeGreaterThanOrEqual(0);
      expect(r.stderr.indexOf('Error: user boom')).toBeLessThan(600);
      expect(Math.max(...r.stderr.split('\n').map((l) => l.length))).toBeLessThan(400);
      const handled = child(
        `${start(imp)} process.on('uncaughtException', (e) => console.log('handled', e.message));
          setTimeout(() => { throw new Error('user boom'); }); setTimeout(() => console.log('carried on'), 50); });`,
        type,
      );
      expect(handled.status, handled.stderr.slice(0, 1000)).toBe(0);
      expect(handled.stdout).toBe('handled user boom\ncarried on\n');
    }
  });

  it('an error from the ESM build is recognised by the CJS build (two copies)', () => {
    const code = `import { createRequire } from 'node:module';
      import { ShapeError } from 'dvme/metrics';
      const cjs = createRequire(import.meta.url)('dvme/metrics');
      const e = new ShapeError('x');
      console.log(e instanceof cjs.ShapeError, cjs.ShapeError.is(e), cjs.InvalidArgumentError.is(e))`;
    expect(run(app, code, 'module')).toBe('false true true');
  });
});
