import { Liquid, type Template } from 'liquidjs';
import { MessagingError } from './errors.js';
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

// `include`/`render`/`layout` would read files: templates are data from the API, so no file system.
const noFs = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (f: string) => {
    throw new Error(`templates cannot include files (${f})`);
  },
  readFileSync: (f: string) => {
    throw new Error(`templates cannot include files (${f})`);
  },
  resolve: (_root: string, file: string) => file,
  contains: () => false,
  sep: '/',
};

/**
 * One Liquid engine for every template: unknown filters fail at parse time (strictFilters), unknown
 * variables render empty so `{{ profile.name | default: "朋友" }}` works. Limits keep a hostile
 * template from eating the worker (parse 100 KB, render 500 ms, 10 MB of output).
 */
function createEngine(): Liquid {
  const liquid = new Liquid({
    strictFilters: true,
    strictVariables: false,
    fs: noFs as never,
    relativeReference: false,
    root: [],
    parseLimit: 100_000,
    renderLimit: 500,
    memoryLimit: 10_000_000,
    cache: 500,
  });
  // Money is stored in fen: {{ order.total_fen | yuan }} -> "12.50".
  liquid.registerFilter('yuan', (v: unknown) => {
    const n = Number(v);
    return Number.isFinite(n) ? (n / 100).toFixed(2) : '';
  });
  // {{ "https://shop.example/x" | track }} -> a signed redirect that records "Message Clicked".
  liquid.registerFilter('track', function (this: { context: { environments: unknown } }, url: unknown) {
    const links = (this.context.environments as { __links?: LinkBuilder }).__links;
    return typeof url === 'string' && links ? links.click(url) : url;
  });
  return liquid;
}

const engine = createEngine();

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

const parsed = new Map<string, Template[]>();

function parse(s: string): Template[] {
  let t = parsed.get(s);
  if (!t) {
    t = engine.parse(s);
    if (parsed.size > 2000) parsed.clear();
    parsed.set(s, t);
  }
  return t;
}

async function renderValue(v: unknown, path: string, scope: RenderScope): Promise<unknown> {
  if (typeof v === 'string') {
    if (!v.includes('{')) return v;
    try {
      return await engine.render(parse(v), scope);
    } catch (err) {
      const p = problemOf(path, err);
      throw new MessagingError('TEMPLATE_RENDER_FAILED', `template does not render: ${describe(p)}`, { problems: [p] });
    }
  }
  if (Array.isArray(v)) return Promise.all(v.map((x, i) => renderValue(x, `${path}[${i}]`, scope)));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await renderValue(x, `${path}.${k}`, scope);
    return out;
  }
  return v;
}

/** Renders every string of a content object; TEMPLATE_RENDER_FAILED names the field, line and column. */
export async function renderContent<T>(content: T, scope: RenderScope, links?: LinkBuilder): Promise<T> {
  return (await renderValue(content, 'content', links ? { ...scope, __links: links } : scope)) as T;
}
