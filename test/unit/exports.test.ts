import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
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
    expect(extra('dvme/node')).toEqual(['decodeImage', 'initBackend', 'readEmbeddingSet', 'readImages', 'writeEmbeddingSet']);
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

describe('the TSDoc examples', () => {
  // Every `import { ... } from 'dvme...'` in a doc comment must name an export of that entry
  // point, or a user copying it gets an error. Names made internal in 0.1.0 whose examples
  // their folders' owners have not rewritten yet are listed in exports-doc-exceptions.json;
  // the list may only shrink.
  const srcDir = join(import.meta.dirname, '../../src');
  const exceptions = new Set(JSON.parse(readFileSync(new URL('./exports-doc-exceptions.json', import.meta.url), 'utf8')) as string[]);
  const files = (readdirSync(srcDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const coreTypes = pinned.dvme!.types!;
  const known = (entry: string): Set<string> => {
    const extraTypes =
      entry === 'dvme/node' || entry === 'dvme/node-gpu'
        ? ['NodeBackendOptions']
        : entry === 'dvme/browser'
          ? ['BrowserBackendOptions', 'PeerLoader']
          : [];
    const types = entry === 'dvme/metrics' ? pinned[entry]!.types! : [...coreTypes, ...extraTypes];
    return new Set([...(pinned[entry]?.values ?? []), ...types]);
  };

  it('import only what their entry point exports', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(srcDir, file), 'utf8');
      for (const m of text.matchAll(/^\s*\*\s*import (?:type )?\{([^}]*)\} from '(dvme(?:\/[a-z-]+)?)'/gm)) {
        const names = known(m[2]!);
        for (const raw of m[1]!.split(',')) {
          const name = raw.trim().replace(/^type /, '').split(' as ')[0]!.trim();
          const key = `${name} in ${relative(srcDir, join(srcDir, file))} from ${m[2]}`;
          if (name && !names.has(name) && !exceptions.has(key)) wrong.push(key);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
