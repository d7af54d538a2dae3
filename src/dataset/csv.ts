import { DatasetError } from '../errors/index.js';

/**
 * @internal Rows of a CSV text (RFC 4180: `,` separated, `"` quoted fields with `""` for a
 * quote, CRLF or LF line ends, an optional BOM); empty lines are dropped. Small enough to keep
 * here rather than take a dependency for manifests of paths and labels.
 */
export function parseCsv(text: string, where: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') endRow();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endRow();
      i++;
    } else field += ch;
  }
  if (quoted) {
    throw new DatasetError(`${where}: a quoted field is not closed before the end of the file (line ${rows.length + 1}). Close it with '"'.`);
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}
