import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = join(import.meta.dirname, '../../../src');
const entrypoints = new Set(['node.ts', 'node-gpu.ts', 'browser.ts']);
// Platform-specific helpers live under src/platform/<platform>/, and the command line under
// src/cli/ (Node only); only entrypoints import them.
const platformDirs = /^(platform\/(node|browser)|cli)\//;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  // Comments hold usage examples (`import ... from 'dvme/node'`) that are not imports.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)];
  return found.map((m) => m[1] as string);
}

describe('layering', () => {
  const files = sourceFiles(srcDir).filter(
    (f) => !entrypoints.has(relative(srcDir, f)) && !platformDirs.test(relative(srcDir, f)),
  );

  it('the core imports no platform: no node:* module, no backend package, no entrypoint', () => {
    const offending = files.flatMap((f) =>
      imports(f)
        .filter(
          (m) =>
            m.startsWith('node:') ||
            /^(fs|path|os|crypto|url|child_process|worker_threads)$/.test(m) ||
            /^@tensorflow\/tfjs-(node|backend-)/.test(m) ||
            /(^|\/)(node|node-gpu|browser)\.js$/.test(m) ||
            /(^|\/)platform\/(node|browser)\//.test(m) ||
            /(^|\/)cli\//.test(m) ||
            /^\.\.?\/(node|browser)\//.test(m),
        )
        .map((m) => `${relative(srcDir, f)} imports ${m}`),
    );
    expect(offending).toEqual([]);
  });

  it('dvme/metrics and the errors import nothing outside themselves (no tfjs)', () => {
    const pure = files.filter((f) => /^(metrics|errors)\//.test(relative(srcDir, f)));
    expect(pure.length).toBeGreaterThan(2);
    const offending = pure.flatMap((f) =>
      imports(f)
        .filter((m) => !m.startsWith('./') && !m.startsWith('../errors/'))
        .map((m) => `${relative(srcDir, f)} imports ${m}`),
    );
    expect(offending).toEqual([]);
  });
});
