import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CdpError } from './errors.js';
import { type CsvItem, CsvTokenizer } from './import.csv.js';

/** The file formats an import reads. */
export type ImportFormat = 'csv' | 'ndjson';

/** One data row of an import file, or why it could not be read, with the 1-based physical line it starts on. */
export type SourceRow = { line: number; record: Record<string, unknown> } | { line: number; error: string };

/** A CSV or NDJSON row larger than this is refused: no event may exceed 32 KB anyway, and it bounds memory. */
export const MAX_ROW_CHARS = 256 * 1024;

/** Options for `readRows`. */
export interface ReadOptions {
  /** Checks the CSV header (trimmed names); a returned message rejects the whole file. */
  checkHeader?: (names: string[]) => string | undefined;
}

/** Streams the rows of a CSV (header row, UTF-8, optional BOM) or NDJSON file, never holding more than one row. */
export function readRows(input: Readable, format: ImportFormat, opts: ReadOptions = {}): AsyncGenerator<SourceRow> {
  return format === 'csv' ? csvRows(input, opts) : ndjsonRows(input);
}

/** Record objects have no prototype: a column named `__proto__` is a column like any other. */
function recordOf(names: string[], fields: string[]): Record<string, unknown> {
  const record: Record<string, unknown> = Object.create(null);
  names.forEach((n, i) => (record[n] = fields[i]));
  return record;
}

/** Reads CSV records through the tokenizer; the first record is the header, checked before any row is returned. */
async function* csvRows(input: Readable, opts: ReadOptions): AsyncGenerator<SourceRow> {
  const decoder = new StringDecoder('utf8');
  const tokenizer = new CsvTokenizer(MAX_ROW_CHARS);
  let names: string[] | undefined;
  const items: CsvItem[] = [];
  function* drain(): Generator<SourceRow> {
    for (const item of items) {
      if (names === undefined) {
        if ('error' in item) throw new CdpError('IMPORT_INVALID', `line ${item.line}: the header row cannot be read: ${item.error}`);
        names = item.fields.map((h) => h.trim());
        const problem = headerProblem(names, opts);
        if (problem) throw new CdpError('IMPORT_INVALID', `line ${item.line}: ${problem}`);
        continue;
      }
      if ('error' in item) yield item;
      else if (item.fields.length !== names.length) {
        const n = item.fields.length;
        yield { line: item.line, error: `row has ${n} field${n === 1 ? '' : 's'} but the header has ${names.length} columns` };
      } else yield { line: item.line, record: recordOf(names, item.fields) };
    }
    items.length = 0;
  }
  for await (const chunk of input) {
    tokenizer.push(typeof chunk === 'string' ? chunk : decoder.write(chunk), items);
    yield* drain();
  }
  tokenizer.push(decoder.end(), items);
  tokenizer.end(items);
  yield* drain();
}

function headerProblem(names: string[], opts: ReadOptions): string | undefined {
  const nul = names.findIndex((n) => n.includes('\u0000'));
  if (nul >= 0) return `column ${nul + 1} of the header row contains a NUL character (\\u0000)`;
  const empty = names.findIndex((n) => n === '');
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (empty >= 0) return `column ${empty + 1} of the header row has no name`;
  if (dup !== undefined) return `column "${dup}" appears twice in the header row`;
  return opts.checkHeader?.(names);
}

async function* ndjsonRows(input: Readable): AsyncGenerator<SourceRow> {
  const decoder = new StringDecoder('utf8');
  let buf = '';
  let line = 0;
  let tooLong = false;
  const row = (text: string): SourceRow | undefined => {
    line++;
    if (tooLong) {
      tooLong = false;
      return { line, error: `line is longer than ${MAX_ROW_CHARS} characters` };
    }
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { line, error: `not valid JSON: ${(err as Error).message}` };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { line, error: `must be a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}` };
    }
    return { line, record: value as Record<string, unknown> };
  };
  const lines = function* (text: string): Generator<SourceRow> {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const r = row(buf + text.slice(start, nl));
      buf = '';
      start = nl + 1;
      if (r) yield r;
    }
    buf += text.slice(start);
    // A line that never ends must not hold the whole file in memory.
    if (buf.length > MAX_ROW_CHARS) {
      tooLong = true;
      buf = '';
    }
  };
  for await (const chunk of input) yield* lines(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  yield* lines(decoder.end());
  if (buf !== '' || tooLong) {
    const r = row(buf);
    if (r) yield r;
  }
}
