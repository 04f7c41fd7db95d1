/**
 * Checks on a row's values before anything else looks at them: values no engine stores the same
 * way (NUL, unpaired surrogates, non-finite numbers) and nesting deep enough to overflow the stack
 * of the recursive code after it (JSON.stringify, hashing). Each problem names the column and, for
 * nested values, the path inside it. Found by the import fuzz test (test/fixtures/fuzz/import/).
 */

/** The deepest nesting an NDJSON value may have (a column's value is level 1). */
export const MAX_IMPORT_DEPTH = 32;

/** A problem with one column of a row. */
export interface ValueProblem {
  field: string;
  reason: string;
}

const UNPAIRED = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (UNPAIRED.test(s)) return 'contains an unpaired UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** The first problem in a row's column names and values (walked without recursion), if any. */
export function valueProblem(record: Record<string, unknown>): ValueProblem | undefined {
  for (const [column, top] of Object.entries(record)) {
    const nameProblem = stringProblem(column);
    if (nameProblem) return { field: column, reason: `the column name ${nameProblem}` };
    const stack: { v: unknown; path: string; depth: number }[] = [{ v: top, path: column, depth: 1 }];
    while (stack.length) {
      const { v, path, depth } = stack.pop()!;
      const at = path === column ? column : path;
      if (typeof v === 'string') {
        const p = stringProblem(v);
        if (p) return { field: column, reason: `${at} ${p}` };
      } else if (typeof v === 'number') {
        if (!Number.isFinite(v)) return { field: column, reason: `${at} is a number too large to store` };
      } else if (v !== null && typeof v === 'object') {
        if (depth >= MAX_IMPORT_DEPTH) return { field: column, reason: `${column} is nested more than ${MAX_IMPORT_DEPTH} levels deep` };
        for (const [k, child] of Object.entries(v)) {
          const p = stringProblem(k);
          if (p) return { field: column, reason: `a key inside ${at} ${p}` };
          stack.push({ v: child, path: Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`, depth: depth + 1 });
        }
      }
    }
  }
  return undefined;
}

/** A profile row's `consent` cell: an object (NDJSON), or that object as JSON text (CSV); tracking's validation checks its values. */
export function readConsentCell(c: unknown): { value: Record<string, unknown> } | { problem: string } {
  let v = c;
  if (typeof c === 'string') {
    try {
      v = JSON.parse(c);
    } catch {
      v = null;
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { problem: 'consent must be a JSON object of booleans, e.g. {"marketing_sms": true}' };
  return { value: v as Record<string, unknown> };
}
