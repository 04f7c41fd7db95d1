/**
 * A streaming CSV tokenizer (RFC 4180) that knows the physical line every record starts on and
 * recovers from broken rows instead of giving up on the rest of the file.
 *
 * Written here rather than configured from csv-parse because csv-parse stops for good at a row
 * over `max_record_size` (the rest of the file was silently dropped, issue #14 §5) and counts lines
 * wrongly inside quoted CRLF fields. Leniencies kept from the csv-parse options used before:
 * a quote inside an unquoted field is an ordinary character, empty lines are skipped, line breaks
 * are CRLF, LF or a lone CR.
 *
 * Recovery, so that each broken row is one reported error and the rest of the file is read:
 * - a row longer than the limit outside quotes: reported, the rest of its physical line skipped;
 * - a quote never closed (end of file, or the limit reached inside quotes): reported at the line
 *   the row starts on, and reading resumes at the line after it (the text held for this is the
 *   row so far, at most the limit);
 * - a character other than `,` or a line break after a closing quote: reported, the rest of that
 *   physical line skipped.
 */

/** A record's fields, or why it is broken; `line` is the 1-based physical line the record starts on. */
export type CsvItem = { line: number; fields: string[] } | { line: number; error: string };

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

type Mode = 'start' | 'plain' | 'quoted' | 'quote' | 'skip';

/** Incremental tokenizer: `push` text as it arrives, then `end`; each call appends complete items to `out`. */
export class CsvTokenizer {
  private line = 1;
  private mode: Mode = 'start';
  private fields: string[] = [];
  private cur = '';
  private inRecord = false;
  private recLine = 1;
  private recChars = 0;
  /** The record's text from its start, up to the text being fed, for resynchronising after an unclosed quote. */
  private raw: string[] = [];
  /** A CR at the end of a chunk waits for the next chunk, to know whether an LF follows. */
  private carry = '';
  private started = false;

  constructor(private readonly maxChars: number) {}

  /** Feeds the next piece of text. */
  push(text: string, out: CsvItem[]): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    text = this.carry + text;
    this.carry = '';
    if (text.endsWith('\r')) {
      this.carry = '\r';
      text = text.slice(0, -1);
    }
    this.feed(text, out);
  }

  /** Ends the input: the last record, or an unclosed quote reported and the text after its first line read again. */
  end(out: CsvItem[]): void {
    let text = this.carry;
    this.carry = '';
    for (;;) {
      this.feed(text, out);
      if (this.mode !== 'quoted') break;
      text = this.unclosed(text, text.length, out, `a quote (") opened in this row is never closed`);
    }
    if (this.inRecord) {
      this.fields.push(this.mode === 'start' ? '' : this.cur);
      this.endRecord(out);
    }
    this.mode = 'start';
  }

  private feed(text: string, out: CsvItem[]): void {
    let s = text;
    let i = 0;
    let seg = 0; // start of field text not yet added to `cur`
    let rawFrom = 0; // start of record text not yet added to `raw`
    while (i < s.length) {
      const c = s.charCodeAt(i);
      const brk = c === LF || c === CR ? (c === CR && s.charCodeAt(i + 1) === LF ? 2 : 1) : 0;
      if (this.mode === 'skip' || (brk && !this.inRecord)) {
        // Skipping the rest of a broken line, or an empty line.
        if (brk) {
          this.line++;
          this.mode = 'start';
        }
        i += brk || 1;
        continue;
      }
      if (!this.inRecord) {
        this.inRecord = true;
        this.recLine = this.line;
        this.recChars = 0;
        this.raw = [];
        rawFrom = i;
      }
      // Line breaks count towards the limit only inside quoted fields, where they are content.
      if (!brk || this.mode === 'quoted') this.recChars += brk || 1;
      if (this.recChars > this.maxChars) {
        s = this.tooLong(s, i, rawFrom, out);
        i = seg = rawFrom = 0;
        continue;
      }
      switch (this.mode) {
        case 'start':
          if (c === QUOTE) {
            this.mode = 'quoted';
            seg = i + 1;
          } else if (c === COMMA || brk) this.endField('', brk, out);
          else {
            this.mode = 'plain';
            seg = i;
          }
          break;
        case 'plain':
          if (c === COMMA || brk) this.endField(this.cur + s.slice(seg, i), brk, out);
          break;
        case 'quoted':
          if (c === QUOTE) {
            this.cur += s.slice(seg, i);
            this.mode = 'quote';
          } else if (brk) this.line++;
          break;
        case 'quote':
          if (c === QUOTE) {
            this.cur += '"';
            this.mode = 'quoted';
            seg = i + 1;
          } else if (c === COMMA || brk) this.endField(this.cur, brk, out);
          else {
            out.push({ line: this.recLine, error: 'unexpected character after a closing quote; inside a quoted field write a quote as ""' });
            this.drop();
            this.mode = 'skip';
            continue; // the skip state reads this character again
          }
          break;
      }
      i += brk || 1;
    }
    if (this.inRecord) this.raw.push(s.slice(rawFrom));
    if (this.mode === 'plain' || this.mode === 'quoted') this.cur += s.slice(seg);
  }

  /** A record past the limit at `s[i]`: reported; returns the text to read next. */
  private tooLong(s: string, i: number, rawFrom: number, out: CsvItem[]): string {
    if (this.mode === 'quoted' || this.mode === 'quote') {
      this.raw.push(s.slice(rawFrom));
      const why = `row is longer than ${this.maxChars} characters inside a quoted field, most likely because a quote (") opened in it is never closed`;
      return this.unclosed(s, s.length, out, why);
    }
    out.push({ line: this.recLine, error: `row is longer than ${this.maxChars} characters; the rest of its line was skipped` });
    this.drop();
    this.mode = 'skip';
    return s.slice(i);
  }

  /** Ends a field (after `,` or a line break, whose length `brk` is); a line break ends the record too. */
  private endField(value: string, brk: number, out: CsvItem[]): void {
    this.fields.push(value);
    this.cur = '';
    this.mode = 'start';
    if (brk) {
      this.line++;
      this.endRecord(out);
    }
  }

  private endRecord(out: CsvItem[]): void {
    out.push({ line: this.recLine, fields: this.fields });
    this.fields = [];
    this.cur = '';
    this.inRecord = false;
    this.raw = [];
  }

  private drop(): void {
    this.fields = [];
    this.cur = '';
    this.inRecord = false;
    this.raw = [];
  }

  /**
   * Reports the current record as broken and returns the text to read next: the record's text
   * after its first line break, then the rest of `s` from `from`. Quotes inside the dropped quoted
   * field came in escaped pairs, so reading them again cannot open another long field: the work
   * stays linear in the input.
   */
  private unclosed(s: string, from: number, out: CsvItem[], reason: string): string {
    const text = this.raw.join('') + s.slice(from);
    out.push({ line: this.recLine, error: reason });
    const line = this.recLine;
    this.drop();
    this.mode = 'start';
    const m = /\r\n|\n|\r/.exec(text);
    if (!m) {
      this.mode = 'skip';
      return '';
    }
    this.line = line + 1;
    return text.slice(m.index + m[0].length);
  }
}
