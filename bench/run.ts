/**
 * Entry of `npm run bench`: finds every `bench/*.bench.ts` group and runs those named on the
 * command line (`npm run bench -- metrics`), or all of them. A group file exports
 * `group: BenchGroup` (see `harness.ts`); adding a file is all it takes to add a group.
 * Python references run with `/usr/bin/python3`, or `$DVME_BENCH_PYTHON` when set. Tables are
 * also saved as JSON under `bench/out/` (git-ignored).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runGroup, type BenchGroup } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));

async function loadGroups(): Promise<BenchGroup[]> {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const groups: BenchGroup[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { group?: BenchGroup };
    if (!mod.group) throw new Error(`bench/${file} must export \`group: BenchGroup\`.`);
    groups.push(mod.group);
  }
  return groups;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const groups = await loadGroups();
  const unknown = wanted.filter((w) => !groups.some((g) => g.name === w));
  if (unknown.length > 0) {
    console.error(
      `Unknown benchmark group(s): ${unknown.join(', ')}. Available: ${groups.map((g) => g.name).join(', ')}.`,
    );
    process.exitCode = 1;
    return;
  }
  const selected = wanted.length === 0 ? groups : groups.filter((g) => wanted.includes(g.name));
  console.log(`dvme benchmarks: node ${process.version}, ${selected.map((g) => g.name).join(', ')}`);
  for (const group of selected) await runGroup(group);
}

await main();
