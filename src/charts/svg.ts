/**
 * @internal The one place where chart markup is written: every text node and attribute value
 * passes through {@link escapeXml}, so labels from user data (class names, source names) cannot
 * inject markup into a page that inlines the SVG.
 */

/** @internal Attribute values; `undefined` leaves the attribute out. */
export type Attrs = Readonly<Record<string, string | number | undefined>>;

/**
 * Escapes the five XML special characters, so `text` is safe as element content and inside a
 * double- or single-quoted attribute, in SVG and in HTML alike; characters XML cannot hold at
 * all (C0 controls but tab and newlines) become U+FFFD.
 *
 * @remarks Since 0.1.0.
 * @example
 * ```ts
 * import { escapeXml } from 'dvme';
 * escapeXml('<script>alert("x")</script>'); // '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
 * ```
 */
export function escapeXml(text: string): string {
  return String(text)
    .replace(/[&<>"']/g, (c) => ENTITIES[c] as string)
    .replace(NOT_XML, '\uFFFD');
}

/** Characters XML 1.0 forbids even escaped (C0 controls other than tab, LF, CR; U+FFFE/F): a standalone .svg with one does not parse. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * @internal A coordinate or size as written in the markup: two decimals (a hundredth of a pixel
 * is invisible), trailing zeros dropped, and never `-0`, so equal inputs give equal strings.
 */
export function num(x: number): string {
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

function attrString(attrs: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`;
  }
  return out;
}

/** @internal An element with escaped attributes; `children` are markup already built by `el`/`txt`. */
export function el(name: string, attrs: Attrs = {}, ...children: string[]): string {
  const open = `<${name}${attrString(attrs)}`;
  return children.length === 0 ? `${open}/>` : `${open}>${children.join('')}</${name}>`;
}

/** @internal An element holding escaped text. */
export function txt(name: string, attrs: Attrs, text: string): string {
  return `<${name}${attrString(attrs)}>${escapeXml(text)}</${name}>`;
}

/** @internal A polyline's points as a path: `M x,y L x,y ...`. */
export function pathData(points: readonly (readonly [number, number])[]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${num(x)},${num(y)}`).join(' ');
}

/** FNV-1a: a short deterministic fingerprint, so element ids differ between charts on one page. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/** @internal What every chart's root element needs. */
export interface SvgDocument {
  readonly width: number;
  readonly height: number;
  /** Accessible name (`<title>`), also shown by browsers as a tooltip. */
  readonly title: string;
  /** Accessible description (`<desc>`): what the chart shows, in words. */
  readonly desc: string;
  /** Class of the root element, naming the chart kind (`dvme-roc`, ...). */
  readonly kind: string;
}

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

/**
 * @internal The root `<svg>`: `role="img"` with `aria-labelledby` pointing at `<title>` and
 * `<desc>` is the pattern screen readers handle best. Presentation is in attributes, not a
 * `<style>` element, because a `<style>` inside inline SVG applies to the whole HTML page.
 */
export function svgDocument(doc: SvgDocument, body: readonly string[]): string {
  const content = body.join('\n');
  const id = `dvme-${fingerprint(`${doc.title}\n${doc.desc}\n${content}`)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg"${attrString({
      class: doc.kind,
      width: doc.width,
      height: doc.height,
      viewBox: `0 0 ${num(doc.width)} ${num(doc.height)}`,
      role: 'img',
      'aria-labelledby': `${id}-title ${id}-desc`,
      'font-family': FONT,
      'font-size': 12,
    })}>`,
    txt('title', { id: `${id}-title` }, doc.title),
    txt('desc', { id: `${id}-desc` }, doc.desc),
    el('rect', { x: 0, y: 0, width: doc.width, height: doc.height, fill: '#ffffff' }),
    content,
    '</svg>',
  ].join('\n');
}

/**
 * @internal Width of `text` in pixels at `fontSize`, estimated (no DOM to measure with): 0.6 em
 * per character is the mean advance of common sans-serif fonts, slightly generous so margins
 * sized with it do not clip.
 */
export function textWidth(text: string, fontSize: number): number {
  return [...text].length * fontSize * 0.6;
}
