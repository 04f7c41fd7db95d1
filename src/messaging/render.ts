import { type Template, toValueSync, Value } from 'liquidjs';
import { MessagingError } from './errors.js';
import { engine, limitHit, RENDER_LIMITS, type RenderBudget, renderBudget, renderWith } from './liquid-engine.js';
import type { LinkBuilder } from './links.js';

/** Where a template string failed: the JSON path of the field and Liquid's line and column. */
export interface TemplateProblem {
  path: string;
  line?: number;
  column?: number;
  message: string;
}

/** What a template sees: `profile` (traits and computed values), `event` (properties), `data`, `message`, `unsubscribe_url`, `now`. */
export type RenderScope = Record<string, unknown>;

function problemOf(path: string, err: unknown): TemplateProblem {
  const e = err as { message?: string; token?: { getPosition?: () => [number, number] } };
  const pos = e.token?.getPosition?.();
  const message = String(e.message ?? err).replace(/, line:\d+, col:\d+$/, '');
  return pos ? { path, line: pos[0], column: pos[1], message } : { path, message };
}

function describe(p: TemplateProblem): string {
  return `${p.path}${p.line !== undefined ? ` (line ${p.line}, column ${p.column})` : ''}: ${p.message}`;
}

/** Every string leaf of a JSON value with its path. */
function* strings(v: unknown, path: string): Generator<[string, string]> {
  if (typeof v === 'string') yield [path, v];
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* strings(v[i], `${path}[${i}]`);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) yield* strings(x, `${path}.${k}`);
}

/** Parses every string of a content object as Liquid; returns every problem with its line and column. */
export function liquidProblems(content: unknown, where: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const [path, s] of strings(content, where)) {
    try {
      engine.parse(s);
    } catch (err) {
      problems.push(problemOf(path, err));
    }
  }
  return problems;
}

/** Throws TEMPLATE_INVALID listing the problems (field, line, column), if any. */
export function throwIfProblems(problems: TemplateProblem[]): void {
  if (problems.length) throw new MessagingError('TEMPLATE_INVALID', `template does not parse: ${problems.map(describe).join('; ')}`, { problems });
}

/** Parses every string of a content object as Liquid; TEMPLATE_INVALID lists every problem. */
export function checkLiquid(content: unknown, where: string): void {
  throwIfProblems(liquidProblems(content, where));
}

/**
 * Parsed templates by source, bounded by count and by characters (a parsed template keeps its
 * source, so 2,000 email bodies of 500 KB would otherwise hold a gigabyte).
 */
const parsed = new Map<string, Template[]>();
let parsedChars = 0;
const PARSED_MAX = 2000;
const PARSED_MAX_CHARS = 20_000_000;

function parse(s: string): Template[] {
  let t = parsed.get(s);
  if (!t) {
    t = engine.parse(s);
    if (parsed.size >= PARSED_MAX || parsedChars + s.length > PARSED_MAX_CHARS) {
      parsed.clear();
      parsedChars = 0;
    }
    parsed.set(s, t);
    parsedChars += s.length;
  }
  return t;
}

/** A node of a parsed template, as LiquidJS's static analysis walks it. */
interface TemplateNode {
  arguments?: () => Iterable<unknown>;
  children?: (partials: boolean, sync: boolean) => Generator<unknown, Template[]>;
}

function usesFilter(templates: Template[], name: string): boolean {
  for (const t of templates as unknown as TemplateNode[]) {
    if (t.arguments) for (const a of t.arguments()) if (a instanceof Value && a.filters.some((f) => f.name === name)) return true;
    if (t.children && usesFilter(toValueSync(t.children(false, true)), name)) return true;
  }
  return false;
}

/** A link feature a template uses that needs the workspace's public base URL (`linkBaseUrl`). */
export type LinkUse = { path: string; uses: ('unsubscribe_url' | 'track' | 'survey_url')[] };

/**
 * Where a content object uses `{{ unsubscribe_url }}`, the `track` or `survey_url` filter (static analysis of
 * each string: used anywhere in the template, whatever branch a profile takes). Without a link
 * base URL these render a dead link (`href=""`) or an untracked one, so saving and preview warn
 * and sending refuses.
 */
export function linkUses(content: unknown, where: string): LinkUse[] {
  const out: LinkUse[] = [];
  for (const [path, s] of strings(content, where)) {
    if (!s.includes('{')) continue;
    let templates: Template[];
    try {
      templates = parse(s);
    } catch {
      continue; // a template that does not parse is refused for that reason
    }
    const uses: LinkUse['uses'] = [];
    if ('unsubscribe_url' in engine.analyzeSync(templates, { partials: false }).globals) uses.push('unsubscribe_url');
    if (usesFilter(templates, 'track')) uses.push('track');
    if (usesFilter(templates, 'survey_url')) uses.push('survey_url');
    if (uses.length) out.push({ path, uses });
  }
  return out;
}

/** The one place that says what a missing link base URL means and how to set it. */
export function linkBaseUrlWarning(uses: LinkUse[]): { code: 'LINK_BASE_URL_MISSING'; message: string } {
  const where = uses.map((u) => `${u.path} (${u.uses.map((x) => (x === 'unsubscribe_url' ? `{{ ${x} }}` : `| ${x}`)).join(', ')})`).join('; ');
  return {
    code: 'LINK_BASE_URL_MISSING',
    message:
      `${where}: tracked and unsubscribe links need this server's public URL, and the workspace has none. ` +
      'Set it with PATCH /v1/messaging/settings { "linkBaseUrl": "https://siyu.example.com" }; ' +
      'until then messages using these links fail with reason link_base_url_missing.',
  };
}

/** What a limit hit says, in place of LiquidJS's terse "memory alloc limit exceeded". */
const LIMIT_MESSAGES = {
  output: `the template writes more than ${RENDER_LIMITS.outputChars.toLocaleString('en')} characters (output, captures and filter results of one message together)`,
  time: `rendering takes longer than ${RENDER_LIMITS.renderMs} ms (all fields of one message together)`,
};

async function renderValue(v: unknown, path: string, scope: RenderScope, budget: RenderBudget): Promise<unknown> {
  if (typeof v === 'string') {
    if (!v.includes('{')) return v;
    try {
      return await renderWith(budget, parse(v), scope);
    } catch (err) {
      const limit = limitHit(err);
      const p = problemOf(path, err);
      if (limit) p.message = LIMIT_MESSAGES[limit];
      throw new MessagingError('TEMPLATE_RENDER_FAILED', `template does not render: ${describe(p)}`, { problems: [p], ...(limit ? { limit } : {}) });
    }
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) out.push(await renderValue(v[i], `${path}[${i}]`, scope, budget));
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await renderValue(x, `${path}.${k}`, scope, budget);
    return out;
  }
  return v;
}

/**
 * Renders every string of a content object within one budget (RENDER_LIMITS: the fields share
 * 500 ms and 10 million characters); TEMPLATE_RENDER_FAILED names the field, line and column, or
 * the limit that was hit (`details.limit`: `output` or `time`).
 */
export async function renderContent<T>(content: T, scope: RenderScope, links?: LinkBuilder): Promise<T> {
  return (await renderValue(content, 'content', links ? { ...scope, __links: links } : scope, renderBudget())) as T;
}
