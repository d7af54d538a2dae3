import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

// npm users read README.md on a registry page or in node_modules: its relative links (and those
// of the guides it links to) must point at files the tarball holds.
const root = join(import.meta.dirname, '../..');

function packedFiles(): Set<string> {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [report] = JSON.parse(out) as { files: { path: string }[] }[];
  return new Set(report!.files.map((f) => f.path));
}

/** Relative link targets of a markdown file, without anchors, as paths from the package root. */
function relativeLinks(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.replace(/#.*$/, ''))
    .filter((target) => target.length > 0 && !/^[a-z]+:/i.test(target))
    .map((target) => normalize(join(dirname(file), target)).replace(/\\/g, '/'));
}

describe('the published package', () => {
  it('holds every file that README.md and the guides it ships link to', () => {
    const files = packedFiles();
    const pages = [...files].filter((f) => f.endsWith('.md'));
    expect(pages).toContain('README.md');
    const dead = pages.flatMap((page) => relativeLinks(page).filter((target) => !files.has(target)).map((target) => `${page} -> ${target}`));
    expect(dead).toEqual([]);
    // Each guide the README links to is shipped, not only linked.
    expect(relativeLinks('README.md').filter((t) => t.startsWith('docs/')).length).toBeGreaterThan(3);
  });
});

describe('the install advice', () => {
  it('names the environment variable onnxruntime-node reads, which npm does not warn about', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const script = readFileSync(join(root, 'node_modules/onnxruntime-node/script/install-utils.js'), 'utf8');
    expect(readme).toContain('ONNXRUNTIME_NODE_INSTALL=skip npm install dvme');
    expect(script).toContain('process.env.ONNXRUNTIME_NODE_INSTALL');
    expect(readme).toContain('npm install dvme --omit=optional');
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/^export ONNXRUNTIME_NODE_INSTALL=skip$/m);
    // An npm config key npm does not know (.npmrc's onnxruntime-node-install) warns on every command.
    const npm = spawnSync('npm', ['config', 'get', 'fund'], { cwd: root, encoding: 'utf8' });
    expect(npm.stderr).not.toMatch(/Unknown (project|env|user) config/);
  });
});
