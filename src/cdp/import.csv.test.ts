import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvItem, CsvTokenizer } from './import.csv.js';

/** Tokenizes `pieces` fed one after another (as a stream delivers them). */
function tokenize(pieces: string[], max = 64): CsvItem[] {
  const t = new CsvTokenizer(max);
  const out: CsvItem[] = [];
  for (const p of pieces) t.push(p, out);
  t.end(out);
  return out;
}

describe('CsvTokenizer', () => {
  it('reads quoted commas, doubled quotes and line breaks (LF, CRLF, lone CR) with the line each record starts on', () => {
    const text = '\ufeffa,b\r\n"x,1","say ""hi"""\n\n"multi\r\nline",2\rlast,\n';
    expect(tokenize([text])).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'say "hi"'] },
      { line: 4, fields: ['multi\r\nline', '2'] },
      { line: 6, fields: ['last', ''] },
    ]);
  });

  it('treats a quote inside an unquoted field as an ordinary character', () => {
    expect(tokenize(['a"b,c\n'])).toEqual([{ line: 1, fields: ['a"b', 'c'] }]);
  });

  it('reports an overlong unquoted row and reads the next line', () => {
    expect(tokenize([`ok,1\n${'x'.repeat(100)},2\nnext,3\n`])).toEqual([
      { line: 1, fields: ['ok', '1'] },
      { line: 2, error: 'row is longer than 64 characters; the rest of its line was skipped' },
      { line: 3, fields: ['next', '3'] },
    ]);
  });

  it('reports a quote never closed and reads again from the line after the row started', () => {
    expect(tokenize(['a,"open\nb,2\nc,3\n'])).toEqual([
      { line: 1, error: 'a quote (") opened in this row is never closed' },
      { line: 2, fields: ['b', '2'] },
      { line: 3, fields: ['c', '3'] },
    ]);
    const long = tokenize([`a,"open\n${Array.from({ length: 20 }, (_, i) => `r${i},${i}`).join('\n')}\n`]);
    expect(long[0]).toEqual({ line: 1, error: expect.stringMatching(/^row is longer than 64 characters inside a quoted field/) });
    expect(long.slice(1)).toEqual(Array.from({ length: 20 }, (_, i) => ({ line: i + 2, fields: [`r${i}`, String(i)] })));
  });

  it('reports a character after a closing quote and skips the rest of that line', () => {
    expect(tokenize(['"a"b,c\nd,e\n'])).toEqual([
      { line: 1, error: 'unexpected character after a closing quote; inside a quoted field write a quote as ""' },
      { line: 2, fields: ['d', 'e'] },
    ]);
  });

  const csvChar = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('a', 'b', ' ', '1') }, fc.constantFrom('"', ',', '\n', '\r', '\r\n', '\ufeff'));
  const csvText = fc.string({ unit: csvChar, maxLength: 200 });

  it('gives the same records however the text is split into chunks', () => {
    fc.assert(
      fc.property(csvText, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const pieces = [0, ...at].map((from, i) => text.slice(from, [...at, text.length][i]));
        expect(tokenize(pieces, 40)).toEqual(tokenize([text], 40));
      }),
      { numRuns: 2000 },
    );
  });

  it('numbers records by physical lines, never past the end, and terminates on any input', () => {
    fc.assert(
      fc.property(csvText, (text) => {
        const items = tokenize([text], 40);
        const lines = text.replace(/^\ufeff/, '').split(/\r\n|\n|\r/).length;
        let last = 0;
        for (const item of items) {
          expect(item.line).toBeGreaterThanOrEqual(1);
          expect(item.line).toBeLessThanOrEqual(lines);
          expect(item.line).toBeGreaterThanOrEqual(last);
          last = item.line;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
