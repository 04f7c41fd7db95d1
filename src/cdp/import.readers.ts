import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse, type CsvError } from 'csv-parse';
import { CdpError } from './errors.js';

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

const newlines = (v: unknown): number => {
  if (typeof v !== 'string') return 0;
  let n = 0;
  for (let i = v.indexOf('\n'); i >= 0; i = v.indexOf('\n', i + 1)) n++;
  return n;
};

function csvReason(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quote (") opened in this row is never closed, so the rest of the file is one broken row';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'unexpected character after a closing quote; inside a quoted field write a quote as ""';
    case 'CSV_MAX_RECORD_SIZE':
      return `row is longer than ${MAX_ROW_CHARS} characters, most likely because a quote (") opened in it is never closed; the rest of the file was not read`;
    default:
      return `malformed CSV: ${err.message}`;
  }
}

/**
 * csv-parse's own line count is off inside quoted CRLF fields, so the start line of each record is
 * counted here: the line after the previous record, plus empty lines skipped, plus line breaks
 * inside quoted fields. Parse errors carry csv-parse's count and resynchronise it.
 */
async function* csvRows(input: Readable, opts: ReadOptions): AsyncGenerator<SourceRow> {
  let headerProblem: string | undefined;
  let nextLine = 2;
  let emptySeen = 0;
  let unreadable = false;
  const skipped: { records: number; lines: number; empty: number; error: string }[] = [];
  const parser = parse({
    bom: true,
    info: true,
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    max_record_size: MAX_ROW_CHARS,
    columns: (header: string[]) => {
      const names = header.map((h) => String(h).trim());
      nextLine = 2 + header.reduce((n, h) => n + newlines(h), 0);
      const empty = names.findIndex((n) => n === '');
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (empty >= 0) headerProblem = `column ${empty + 1} of the header row has no name`;
      else if (dup !== undefined) headerProblem = `column "${dup}" appears twice in the header row`;
      else headerProblem = opts.checkHeader?.(names);
      return names;
    },
    on_skip: (err) => {
      if (!err || unreadable) return;
      const num = (v: unknown, def: number) => (typeof v === 'number' ? v : def);
      skipped.push({ records: num(err.records, 0), lines: num(err.lines, 0), empty: num(err.empty_lines, emptySeen), error: csvReason(err) });
      if (err.code === 'CSV_MAX_RECORD_SIZE') {
        // Past an unclosed quote nothing can be parsed reliably: stop reading (rows before it still count).
        unreadable = true;
        setImmediate(() => {
          input.unpipe(parser);
          input.destroy();
          if (!parser.writableEnded) parser.end();
        });
      }
    },
  });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  const headerCheck = () => {
    if (headerProblem) throw new CdpError('IMPORT_INVALID', `line 1: ${headerProblem}`);
  };
  // Errors are reported by the parser ahead of the records buffered before them; emit in file order,
  // at the line the broken row starts on, then resynchronise with the parser's (rougher) count.
  function* skippedBefore(records: number): Generator<SourceRow> {
    while (skipped.length && skipped[0]!.records < records) {
      const s = skipped.shift()!;
      const line = nextLine + Math.max(0, s.empty - emptySeen);
      yield { line, error: s.error };
      nextLine = Math.max(line, s.lines) + 1;
      emptySeen = s.empty;
    }
  }
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: any }>) {
    headerCheck();
    yield* skippedBefore(info.records);
    const line = nextLine + (info.empty_lines - emptySeen);
    emptySeen = info.empty_lines;
    let inside = 0;
    for (const v of Object.values(record)) inside += newlines(v);
    nextLine = line + inside + 1;
    if (info.error?.code === 'CSV_RECORD_INCONSISTENT_COLUMNS') {
      const fields = Array.isArray(info.error.record) ? info.error.record.length : Object.keys(record).length;
      yield { line, error: `row has ${fields} field${fields === 1 ? '' : 's'} but the header has ${info.columns.length} columns` };
      continue;
    }
    yield { line, record };
  }
  headerCheck();
  yield* skippedBefore(Infinity);
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
