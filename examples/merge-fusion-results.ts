/**
 * Joins the fusion models of several runs of the same evaluation (written as .json by
 * examples/retina-dvme.ts, examples/pneumonia-dvme.ts or `npm run demo`) into one table, e.g.
 * when the slow feature-token DVME ran in its own process (`--models dvme`) beside the others.
 *
 *   npx tsx examples/merge-fusion-results.ts out.md first.json second.json [...]
 *
 * Runs are only joined when they are paired: same task, metric, sizes, repeats, seed and fusion
 * sources, and the single-source probes, which every run retrains on its draws, gave the same
 * scores on every draw (so every model saw the same training rows). Anything else is refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatFusionMarkdown, type FusionEvaluationResult } from 'dvme';

const [out, ...inputs] = process.argv.slice(2);
if (!out || inputs.length < 2) {
  console.error('usage: npx tsx examples/merge-fusion-results.ts out.md first.json second.json [...]');
  process.exit(2);
}
const results = inputs.map((f) => JSON.parse(readFileSync(f, 'utf8')) as FusionEvaluationResult);
const [first] = results;
const key = (r: FusionEvaluationResult) =>
  JSON.stringify([r.kind, r.task, r.metric, r.repeats, r.seed, r.sizes, r.fusionSources, r.standardize, r.single.sources]);
const scores = (r: FusionEvaluationResult) =>
  JSON.stringify(r.single.sources.map((s) => r.sizes.map(({ name }) => r.single.results[s][name].runs.map((run) => [run.seed, run.trainSize, run.value]))));
for (const [i, r] of results.entries()) {
  if (key(r) !== key(first)) throw new Error(`${inputs[i]} is not the same evaluation as ${inputs[0]} (task, metric, sizes, repeats, seed or sources differ).`);
  if (scores(r) !== scores(first)) throw new Error(`${inputs[i]}: the single-source probes scored differently from ${inputs[0]}, so the draws are not paired.`);
}
const models = [...new Set(results.flatMap((r) => r.models))];
const fusion = Object.fromEntries(models.map((m) => [m, results.find((r) => r.models.includes(m))!.fusion[m]]));
const merged: FusionEvaluationResult = { ...first, models, fusion, wallMs: results.reduce((s, r) => s + r.wallMs, 0) };
const trainingNote = results.map((r, i) => `${inputs[i]}: ${r.models.join(', ')} (training options ${JSON.stringify(r.training)}, ${(r.wallMs / 1000).toFixed(0)} s)`);
const md = `${formatFusionMarkdown(merged)}\nJoined from paired runs (identical single-source scores on every draw):\n${trainingNote.map((l) => `- ${l}`).join('\n')}\n`;
writeFileSync(out, md);
console.log(md);
