/**
 * A minimal XML parser for the tests (no dependency): enough of XML to read what src/charts
 * writes, and strict where escaping matters, so a raw `<`, `&` or quote in text or an attribute
 * makes it throw instead of silently producing an element.
 */
export interface XmlNode {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlNode[];
  /** Decoded text directly inside this element. */
  text: string;
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function decode(raw: string, where: string): string {
  return raw.replace(/&([^;\s]*);?/g, (m, name: string) => {
    if (!m.endsWith(';') || !(name in ENTITY)) throw new Error(`bad entity ${JSON.stringify(m)} in ${where}`);
    return ENTITY[name] as string;
  });
}

export function parseXml(source: string): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const text = source.slice(i, lt < 0 ? source.length : lt);
    if (text.includes('>')) throw new Error(`raw '>' in text ${JSON.stringify(text.slice(0, 40))}`);
    stack[stack.length - 1]!.text += decode(text, 'text');
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(source);
    if (!m) throw new Error(`malformed tag at ${lt}: ${JSON.stringify(source.slice(lt, lt + 60))}`);
    const [, close, name, attrText, selfClose] = m as unknown as [string, string, string, string, string];
    if (close) {
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of attrText.matchAll(/([\w:-]+)="([^"]*)"/g)) {
        if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
        attrs[a[1]!] = decode(a[2]!, `attribute ${a[1]}`);
      }
      const node: XmlNode = { name, attrs, children: [], text: '' };
      stack[stack.length - 1]!.children.push(node);
      if (!selfClose) stack.push(node);
    }
    i = tag.lastIndex;
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error(`expected one root element, found ${root.children.length}`);
  return root.children[0]!;
}

export function all(node: XmlNode, test: (n: XmlNode) => boolean): XmlNode[] {
  const out: XmlNode[] = [];
  const visit = (n: XmlNode) => {
    if (test(n)) out.push(n);
    n.children.forEach(visit);
  };
  visit(node);
  return out;
}

export const byClass = (node: XmlNode, cls: string): XmlNode[] => all(node, (n) => (n.attrs['class'] ?? '').split(' ').includes(cls));

export function one(node: XmlNode, cls: string): XmlNode {
  const found = byClass(node, cls);
  if (found.length !== 1) throw new Error(`expected one .${cls}, found ${found.length}`);
  return found[0]!;
}

/** All text under a node, children included. */
export const textOf = (n: XmlNode): string => n.text + n.children.map(textOf).join('');

/** The points of a path's `d` made of M/L commands (each M starts a new run). */
export function pathRuns(d: string): [number, number][][] {
  const runs: [number, number][][] = [];
  for (const m of d.matchAll(/([ML])(-?[\d.]+),(-?[\d.]+)/g)) {
    if (m[1] === 'M') runs.push([]);
    runs[runs.length - 1]!.push([Number(m[2]), Number(m[3])]);
  }
  return runs;
}

export interface Rect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export function rectOf(n: XmlNode): Rect {
  const x = Number(n.attrs['x']);
  const y = Number(n.attrs['y']);
  return { left: x, top: y, right: x + Number(n.attrs['width']), bottom: y + Number(n.attrs['height']) };
}

/** Every number in an x/y-like attribute or path of the document, as [x, y] pairs where possible. */
export function allCoordinates(root: XmlNode): number[][] {
  const out: number[][] = [];
  for (const n of all(root, () => true)) {
    if (n.attrs['d'] !== undefined) for (const run of pathRuns(n.attrs['d'])) out.push(...run);
    if (n.name === 'rect' || n.name === 'text' && n.attrs['transform'] === undefined) {
      out.push([Number(n.attrs['x']), Number(n.attrs['y'])]);
    }
    if (n.name === 'circle') out.push([Number(n.attrs['cx']), Number(n.attrs['cy'])]);
  }
  return out;
}
