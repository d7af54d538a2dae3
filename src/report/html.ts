import { escapeXml } from '../charts/svg.js';

/** @internal Escaped text. */
export const esc = (text: string | number): string => escapeXml(String(text));

/** @internal A number with `digits` decimals, or `n/a` for NaN / missing. */
export function fixed(v: number | null | undefined, digits = 4): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

/** @internal `mean ± std`. */
export function meanStd(mean: number, std: number, digits = 4): string {
  return `${fixed(mean, digits)} ± ${fixed(std, digits)}`;
}

/** @internal An HTML table; cells are already HTML (escape text with {@link esc}). */
export function table(head: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${className ? ` class="${className}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** @internal A chart with its caption; a chart that cannot be drawn becomes a note saying why. */
export function figure(caption: string, draw: () => string): string {
  let body: string;
  try {
    body = draw();
  } catch (e) {
    body = `<p class="chart-error">Not drawn: ${esc(e instanceof Error ? e.message : String(e))}</p>`;
  }
  return `<figure>${body}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** @internal A section with an id (the contents link to it) and a heading. */
export function section(id: string, title: string, body: string): string {
  return `<section id="${esc(id)}">\n<h2>${esc(title)}</h2>\n${body}\n</section>`;
}

/** @internal Inline CSS of the page: no external font, no external anything. */
export const CSS = `
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;background:#f5f5f4;color:#1c1917;line-height:1.45}
header{background:#1e3a5f;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.85;font-size:14px}
nav{padding:8px 28px;background:#e7e5e4;font-size:14px}
nav a{margin-right:14px;color:#1e3a5f}
main{padding:8px 28px 40px;max-width:1800px}
section{margin-top:22px}
h2{font-size:19px;border-bottom:2px solid #1e3a5f;padding-bottom:3px}
h3{font-size:16px;margin:18px 0 6px}
p.note{font-size:13px;color:#57534e;max-width:1100px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0 10px}
th,td{border:1px solid #d6d3d1;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0efed}
td.num,table.numbers td:not(:first-child){font-variant-numeric:tabular-nums;text-align:right}
td .delta{color:#57534e;font-size:12px}
.best{font-weight:700}
.grid{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
figure{margin:0;background:#fff;padding:8px;border:1px solid #d6d3d1}
figcaption{font-size:12px;color:#57534e;max-width:560px}
details.size{margin:10px 0;border-left:4px solid #1e3a5f;padding-left:12px}
details.size>summary{font-size:17px;font-weight:600;cursor:pointer}
.chart-error{color:#9a3412;font-size:13px;max-width:420px}
code{font-size:12px;background:#f0efed;padding:1px 3px;word-break:break-all}
`;
