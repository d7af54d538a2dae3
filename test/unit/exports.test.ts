import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The public surface, pinned: a change to what dvme exports shows up as a diff of
// exports.json, reviewed like any other change (`UPDATE_EXPORTS=1 npx vitest run
// test/unit/exports.test.ts` rewrites it). docs/api-surface.md says why each group is public.
const pinnedUrl = new URL('./exports.json', import.meta.url);
const pinned = JSON.parse(readFileSync(pinnedUrl, 'utf8')) as Record<string, { values: string[]; types?: string[] }>;

const entries = {
  dvme: () => import('../../src/index.js'),
  'dvme/metrics': () => import('../../src/metrics/index.js'),
  'dvme/node': () => import('../../src/node.js'),
  'dvme/node-gpu': () => import('../../src/node-gpu.js'),
  'dvme/browser': () => import('../../src/browser.js'),
} as const;

/** Type-only names of an entry file that lists its exports by name (`export type {...}`, `type X`). */
function typeNames(file: string): string[] {
  const text = readFileSync(new URL(`../../src/${file}`, import.meta.url), 'utf8');
  const names = new Set<string>();
  for (const [, typeOnly, list] of text.matchAll(/export (type )?\{([^}]*)\}/g)) {
    for (const raw of list!.split(',')) {
      const item = raw.trim();
      if (!item) continue;
      if (typeOnly || item.startsWith('type ')) names.add(item.replace(/^type /, '').split(' as ').pop()!.trim());
    }
  }
  return [...names].sort();
}

const typeFiles: Record<string, string> = { dvme: 'index.ts', 'dvme/metrics': 'metrics/index.ts' };

describe('the public surface', () => {
  it('every entry point exports exactly the pinned names', async () => {
    const actual: Record<string, { values: string[]; types?: string[] }> = {};
    for (const [name, load] of Object.entries(entries)) {
      actual[name] = { values: Object.keys(await load()).sort() };
      if (typeFiles[name]) actual[name]!.types = typeNames(typeFiles[name]!);
    }
    if (process.env.UPDATE_EXPORTS) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(pinnedUrl, `${JSON.stringify(actual, null, 1)}\n`);
    }
    expect(actual).toEqual(pinned);
  });

  it('src/index.ts lists its exports by name (no export *)', () => {
    const text = readFileSync(new URL('../../src/index.ts', import.meta.url), 'utf8');
    expect(text).not.toMatch(/export \*/);
  });

  it('the Node and browser entry points add only their platform functions to the core', () => {
    const core = new Set(pinned.dvme!.values);
    const extra = (entry: string) => pinned[entry]!.values.filter((n) => !core.has(n));
    expect(extra('dvme/node')).toEqual(['decodeImage', 'initBackend', 'readImages']);
    expect(extra('dvme/node-gpu')).toEqual(extra('dvme/node'));
    expect(extra('dvme/browser')).toEqual(['initBackend']);
  });
});

describe('the examples', () => {
  const dir = new URL('../../examples/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  const allowed = new Set(Object.keys(entries));

  it.each(files)('%s imports dvme only by its package name and entry points', (file) => {
    const text = readFileSync(new URL(file, dir), 'utf8');
    const specifiers = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
      (m) => (m[1] ?? m[2])!,
    );
    expect(specifiers.length, 'no imports found: the pattern is broken').toBeGreaterThan(0);
    for (const s of specifiers) {
      const ok = s.startsWith('node:') || allowed.has(s) || s === './shared.js';
      expect(ok, `${file} imports ${s}; use 'dvme', 'dvme/node', 'dvme/metrics' (or ./shared.js)`).toBe(true);
    }
  });
});
