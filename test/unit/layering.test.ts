import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const srcDir = join(import.meta.dirname, '../../src');
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

  it('dvme/metrics and its pure helpers (errors, random, validation) import nothing else (no tfjs)', () => {
    const pure = files.filter((f) => /^(metrics|errors|random|validation)\//.test(relative(srcDir, f)));
    expect(pure.length).toBeGreaterThan(2);
    const offending = pure.flatMap((f) =>
      imports(f)
        .filter((m) => !m.startsWith('./') && !/^\.\.\/(errors|random|validation)\//.test(m))
        .map((m) => `${relative(srcDir, f)} imports ${m}`),
    );
    expect(offending).toEqual([]);
  });
});

/** Value imports (not `import type`) between top-level units of src/ (a folder, or a file at the top). */
function folderGraph(): Map<string, Map<string, string[]>> {
  const unit = (f: string) => {
    const parts = relative(srcDir, f).split('/');
    return parts.length > 1 ? `${parts[0]}/` : (parts[0] as string);
  };
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sourceFiles(srcDir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
    for (const st of source.statements) {
      let spec: string | undefined;
      let typeOnly = false;
      if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
        spec = st.moduleSpecifier.text;
        const clause = st.importClause;
        const named = clause?.namedBindings;
        typeOnly =
          clause !== undefined &&
          (clause.isTypeOnly ||
            (clause.name === undefined &&
              named !== undefined &&
              ts.isNamedImports(named) &&
              named.elements.length > 0 &&
              named.elements.every((e) => e.isTypeOnly)));
      } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
        spec = st.moduleSpecifier.text;
        const named = st.exportClause;
        typeOnly =
          st.isTypeOnly ||
          (named !== undefined && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly));
      }
      if (spec === undefined || typeOnly || !spec.startsWith('.')) continue;
      const from = unit(file);
      const to = unit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      if (from === to) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, edges);
      edges.set(to, [...(edges.get(to) ?? []), relative(srcDir, file)]);
    }
  }
  return graph;
}

/** Every strongly connected set of more than one unit is a loop (Tarjan), with the imports that tie it. */
function loopsOf(graph: Map<string, Map<string, string[]>>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const loops: string[] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const members: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      members.push(w);
    } while (w !== v);
    if (members.length < 2) return;
    const ties = members.flatMap((a) =>
      [...(graph.get(a) ?? [])].filter(([b]) => members.includes(b)).map(([b, files]) => `${a} -> ${b} (${files.join(', ')})`),
    );
    loops.push(`${members.sort().join(', ')}: ${ties.join('; ')}`);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return loops;
}

describe('the house', () => {
  it('no import loop between top-level folders of src/ (value imports)', () => {
    const graph = folderGraph();
    expect(graph.size).toBeGreaterThan(5);
    expect(graph.get('backbone/')?.has('image/')).toBe(true);
    expect(loopsOf(graph)).toEqual([]);
  });

  it('no source file over 400 lines', () => {
    const long = sourceFiles(srcDir)
      .map((f) => [relative(srcDir, f), readFileSync(f, 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });

  it('the loop search finds loops of two and of three folders', () => {
    const g = (edges: string[]) => {
      const graph = new Map<string, Map<string, string[]>>();
      for (const e of edges) {
        const [a, b] = e.split('>') as [string, string];
        graph.set(a, (graph.get(a) ?? new Map()).set(b, [`${a}x.ts`]));
      }
      return graph;
    };
    expect(loopsOf(g(['a>b', 'b>c', 'c>d']))).toEqual([]);
    expect(loopsOf(g(['a>b', 'b>a', 'b>c']))).toEqual(['a, b: b -> a (bx.ts); a -> b (ax.ts)']);
    expect(loopsOf(g(['a>b', 'b>c', 'c>a', 'c>d']))).toHaveLength(1);
  });
});
