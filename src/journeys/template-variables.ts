/**
 * The variables a message's Liquid content outputs without a fallback, for the publish warning
 * "a template variable that has no source". Deliberately simple (a scan, not Liquid's parser):
 * - looked at: the variable path at the start of each `{{ ... }}` output;
 * - taken as handled: an output with a `default` filter, a variable the template tests in an
 *   `if`, `elsif`, `unless`, `case` or `when` tag (anywhere in the same string), and names the
 *   template defines itself (`assign`, `capture`, `for`, `tablerow`, `increment`, `decrement`).
 * A variable it misses renders empty at send time, as before; the scan only decides what to warn about.
 */

/** An output of a variable with no fallback: its path (`data.coupon_code`), root (`data`), first key (`coupon_code`) and where it is. */
export interface OutputVariable {
  path: string;
  root: string;
  key: string | undefined;
  field: string;
}

const OUTPUT = /\{\{-?([\s\S]*?)-?\}\}/g;
const TAG = /\{%-?\s*(\w+)([\s\S]*?)-?%\}/g;
const PATH = /[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\]]*\])*/g;
const QUOTED = /"[^"]*"|'[^']*'/g;
const GUARDS = new Set(['if', 'elsif', 'unless', 'case', 'when']);
const DEFINES = new Set(['assign', 'capture', 'for', 'tablerow', 'increment', 'decrement']);
/** Names Liquid itself provides inside loops. */
const BUILT_IN = new Set(['forloop', 'tablerowloop']);

/** The root and first key of a variable path (`data.coupon_code` -> data, coupon_code; `data["x"]` -> data, undefined). */
function parts(path: string): { root: string; key: string | undefined } {
  const m = /^([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?/.exec(path)!;
  return { root: m[1]!, key: m[2] };
}

/** True when `path` is `guard` or lies under it (`data.coupon` covers `data.coupon.code`). */
const covers = (guard: string, path: string) => path === guard || path.startsWith(`${guard}.`) || path.startsWith(`${guard}[`);

/** The unguarded variable outputs of one template string. */
function scanString(text: string, field: string): OutputVariable[] {
  if (!text.includes('{{')) return [];
  const guards: string[] = [];
  const locals = new Set(BUILT_IN);
  for (const m of text.matchAll(TAG)) {
    const [, name, rest] = m;
    const expr = rest!.replace(QUOTED, '');
    if (GUARDS.has(name!)) guards.push(...(expr.match(PATH) ?? []));
    else if (DEFINES.has(name!)) {
      const defined = /^\s*([A-Za-z_][\w-]*)/.exec(expr)?.[1];
      if (defined) locals.add(defined);
    }
  }
  const out: OutputVariable[] = [];
  for (const m of text.matchAll(OUTPUT)) {
    const expr = m[1]!.trim();
    const [head, ...filters] = expr.split('|');
    if (filters.some((f) => /^\s*default\s*(:|$)/.test(f))) continue;
    const path = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\]]*\])*$/.exec(head!.trim())?.[0];
    if (!path || ['true', 'false', 'nil', 'null', 'empty', 'blank'].includes(path)) continue;
    const { root, key } = parts(path);
    if (locals.has(root) || guards.some((g) => covers(g, path))) continue;
    out.push({ path, root, key, field });
  }
  return out;
}

/** The unguarded variable outputs of every string in a content object (channel content, a template variant), with their JSON paths under `field`. */
export function unguardedVariables(content: unknown, field: string): OutputVariable[] {
  if (typeof content === 'string') return scanString(content, field);
  if (Array.isArray(content)) return content.flatMap((v, i) => unguardedVariables(v, `${field}[${i}]`));
  if (content && typeof content === 'object') return Object.entries(content).flatMap(([k, v]) => unguardedVariables(v, `${field}.${k}`));
  return [];
}
