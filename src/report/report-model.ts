import type { FusionEvaluationResult } from '../protocol/fusion-evaluation.js';
import type { LinearEvaluationCell, LinearEvaluationResult } from '../protocol/linear-evaluation.js';
import type { ResultsDocument } from './results-document.js';

/** @internal One column of the report: a single source's probe or a fusion model. */
export interface ReportModel {
  readonly name: string;
  readonly kind: 'source' | 'fusion';
  /** Cells by size name. */
  readonly cells: Readonly<Record<string, LinearEvaluationCell>>;
}

/** @internal The single-source evaluation of a document (the whole of a linear one). */
export function singleOf(doc: ResultsDocument): LinearEvaluationResult {
  const e = doc.evaluation;
  return e.kind === 'dvme.fusion-evaluation' ? e.single : e;
}

/** @internal The fusion evaluation, if the document holds one. */
export function fusionOf(doc: ResultsDocument): FusionEvaluationResult | undefined {
  return doc.evaluation.kind === 'dvme.fusion-evaluation' ? doc.evaluation : undefined;
}

/** @internal Every source, then every fusion model, in table order. */
export function reportModels(doc: ResultsDocument): ReportModel[] {
  const single = singleOf(doc);
  const fusion = fusionOf(doc);
  return [
    ...single.sources.map((name): ReportModel => ({ name, kind: 'source', cells: single.results[name] })),
    ...(fusion ? fusion.models.map((name): ReportModel => ({ name, kind: 'fusion', cells: fusion.fusion[name] })) : []),
  ];
}

/** @internal The class labels of a single-label document: from the runs' `classes`, else the test labels. */
export function classLabels(doc: ResultsDocument): number[] {
  for (const m of reportModels(doc)) {
    for (const cell of Object.values(m.cells)) {
      const c = cell.runs[0]?.details?.classes;
      if (c) return [...c];
    }
  }
  const seen = new Set<number>();
  for (const y of doc.test.labels) if (typeof y === 'number') seen.add(y);
  if (doc.evaluation.task === 'binary') return [0, 1];
  return [...seen].sort((a, b) => a - b);
}

/** @internal The display name of a label. */
export function className(doc: ResultsDocument, label: number): string {
  const name = doc.test.classNames?.[label];
  return name !== undefined && name !== String(label) ? `${label} ${name}` : String(label);
}

/** @internal Human name of a metric. */
export function metricName(metric: string): string {
  return (
    { quadraticKappa: 'quadratic weighted kappa', kappa: "Cohen's kappa", auc: 'ROC AUC', accuracy: 'accuracy' } as Record<string, string>
  )[metric] ?? metric;
}
