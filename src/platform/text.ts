/**
 * Text both engines can store. SQLite stores U+0000 and unpaired UTF-16 surrogates; PostgreSQL
 * refuses both (NUL in text and JSON, a lone surrogate as invalid UTF-8), so a request carrying
 * them answered 500 there (issue #14 §3: a journey's event name). Checking them where input is
 * validated makes it the same 400 on both.
 */

/** Why a string cannot be stored, or undefined: U+0000 or an unpaired UTF-16 surrogate. */
export function unstorableText(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return 'contains U+0000 (NUL), which cannot be stored; remove it';
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
      else return `contains a lone UTF-16 surrogate (\\u${c.toString(16)}), which is not valid Unicode text; send well-formed UTF-8`;
    }
  }
  return undefined;
}

/** The first key or string of a JSON value that cannot be stored, with its JSON path (walked without recursion: any depth). */
export function findUnstorableText(value: unknown, path: string): { path: string; message: string } | undefined {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length) {
    const [v, p] = stack.pop()!;
    if (typeof v === 'string') {
      const why = unstorableText(v);
      if (why) return { path: p, message: why };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${p}[${i}]`]);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        const why = unstorableText(k);
        if (why) return { path: `${p}.${k}`, message: `the key ${why}` };
        stack.push([x, `${p}.${k}`]);
      }
    }
  }
  return undefined;
}

/** At most `max` UTF-16 units of `s`, never ending in half of a surrogate pair. */
export function truncateText(s: string, max: number): string {
  if (s.length <= max) return s;
  const c = s.charCodeAt(max - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? max - 1 : max);
}
