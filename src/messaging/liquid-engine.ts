/**
 * The one Liquid engine every template renders with, and the limits that keep a hostile template
 * from eating the process (RENDER_LIMITS). LiquidJS's own `memoryLimit` is charged by its filters (`append`,
 * `join`, `replace`, ranges...) but not by what a template writes: `{% capture %}` and `{{ x }}`
 * in a loop concatenate without being counted, and V8 makes that cheap (a rope), so
 * `{% capture s %}{{ s }}{{ s }}{% endcapture %}` 25 times gave a 256 MB body in milliseconds,
 * whose flattening (JSON, the provider call) then took the process to 1.6 GB (issue #14 §3).
 * Here every write to an output buffer, captures included, is charged to the same budget before
 * the string grows, and one message's fields share one budget of time and characters.
 */
import { Context, Liquid, type Template, toValue } from 'liquidjs';

/** Limits of one message's rendering, all of its fields together. */
export const RENDER_LIMITS = Object.freeze({
  /** Characters of one template string (parse). */
  parseChars: 100_000,
  /** Milliseconds of rendering (checked between template nodes). */
  renderMs: 500,
  /**
   * Characters written (output, captures) and allocated by filters, plus elements of arrays and
   * ranges, of one message. LiquidJS counts an array element as one unit although it costs ~16
   * bytes and ~0.2 µs to build, and cannot stop in the middle of building one: measured on the
   * 2-core development machine, a `(1..n)` range at a budget of 10,000,000 took 1.1 s and +223 MB
   * before the time limit could fire; at 2,000,000 it took 0.4 s and +34 MB. Two million
   * characters is twenty times the longest template string that parses (parseChars), and four
   * times the longest email body content may hold (500,000).
   */
  outputChars: 2_000_000,
});

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

/** LiquidJS's stringification of an output value (its `stringify` is not exported). */
function text(v: unknown): string {
  const x = toValue(v);
  if (typeof x === 'string') return x;
  if (x === null || x === undefined) return '';
  if (Array.isArray(x)) return x.map(text).join('');
  return String(x);
}

/** An output buffer that charges every write to the render's memory budget before appending. */
class ChargedEmitter {
  buffer = '';
  constructor(private readonly ctx: Context) {}
  write(html: unknown): void {
    const s = text(html);
    this.ctx.memoryLimit.use(s.length);
    this.buffer += s;
  }
}

/**
 * Makes every buffer the renderer creates a charged one: the top-level output and each capture
 * (tags that write into their parent pass the parent's buffer, which is charged already).
 */
function chargeOutput(liquid: Liquid): void {
  const renderer = liquid.renderer;
  const renderTemplates = renderer.renderTemplates.bind(renderer);
  renderer.renderTemplates = (templates, ctx, emitter) => renderTemplates(templates, ctx, emitter ?? new ChargedEmitter(ctx));
}

/** The filters Siyu adds; `track` and `survey_url` need the message's link builder in the scope (`__links`). */
function registerFilters(liquid: Liquid): void {
  // Money is stored in fen: {{ order.total_fen | yuan }} -> "12.50".
  liquid.registerFilter('yuan', (v: unknown) => {
    const n = Number(v);
    return Number.isFinite(n) ? (n / 100).toFixed(2) : '';
  });
  // {{ "https://shop.example/x" | track }} -> a signed redirect that records "Message Clicked".
  liquid.registerFilter('track', function (this: { context: { environments: unknown } }, url: unknown) {
    const links = (this.context.environments as { __links?: { click(u: string): string } }).__links;
    return typeof url === 'string' && links ? links.click(url) : url;
  });
  // {{ "srv_…" | survey_url }} -> the recipient's signed survey link (insight); `| survey_url: "store", "S01"` names the touchpoint.
  liquid.registerFilter('survey_url', function (this: { context: { environments: unknown } }, surveyId: unknown, kind?: unknown, id?: unknown) {
    const links = (this.context.environments as { __links?: { survey(s: string, t?: { kind: string; id?: string }): string } }).__links;
    if (typeof surveyId !== 'string' || !links) return '';
    const touchpoint = typeof kind === 'string' ? { kind, ...(id === undefined || id === null ? {} : { id: String(id) }) } : undefined;
    return links.survey(surveyId, touchpoint);
  });
}

/**
 * One Liquid engine for every template: unknown filters fail at parse time (strictFilters), unknown
 * variables render empty so `{{ profile.name | default: "朋友" }}` works, no file system, and the
 * limits above.
 */
function createEngine(): Liquid {
  const liquid = new Liquid({
    strictFilters: true,
    strictVariables: false,
    fs: noFs as never,
    relativeReference: false,
    root: [],
    parseLimit: RENDER_LIMITS.parseChars,
    renderLimit: RENDER_LIMITS.renderMs,
    memoryLimit: RENDER_LIMITS.outputChars,
    cache: 500,
  });
  chargeOutput(liquid);
  registerFilters(liquid);
  return liquid;
}

/** The process's Liquid engine. */
export const engine = createEngine();

/** The time and character budget of one message: every field rendered with it draws on the same limits. */
export interface RenderBudget {
  context(scope: Record<string, unknown>): Context;
}

/** A fresh budget (the time limit starts now). */
export function renderBudget(): RenderBudget {
  const first = new Context({}, engine.options, {}, { liquid: engine });
  const shared = { memoryLimit: first.memoryLimit, renderLimit: first.renderLimit, liquid: engine };
  return { context: (scope) => new Context(scope, engine.options, { sync: false }, shared) };
}

/** Renders parsed templates in a context of the budget. */
export async function renderWith(budget: RenderBudget, templates: Template[], scope: Record<string, unknown>): Promise<string> {
  return engine.render(templates, budget.context(scope));
}

/** Which limit an error from LiquidJS is, if any. */
export function limitHit(err: unknown): 'output' | 'time' | undefined {
  const m = String((err as { message?: string })?.message ?? '');
  if (m.includes('memory alloc limit exceeded')) return 'output';
  if (m.includes('template render limit exceeded')) return 'time';
  return undefined;
}
