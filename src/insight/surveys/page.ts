/**
 * The hosted answer page: one server-rendered HTML document per state (the form, thanks,
 * already answered, closed, invalid link), mobile first, no script, no external assets, in
 * zh-CN or en. Every text from the survey or the request is escaped.
 */
import { isScore, type Question, SCALES, type Survey, type SurveyLocale, textIn } from './surveys.types.js';

const UI = {
  'zh-CN': {
    submit: '提交',
    required: '必答',
    thanks: '感谢您的反馈！',
    already: '您已经回答过这份问卷，感谢！',
    closed: '这份问卷已结束。',
    invalid: '链接无效或已过期',
    invalidText: '请联系发给您链接的人获取新的链接。',
    fix: '请检查标出的问题后再提交。',
    answerThis: '请按要求回答此题',
    low: { nps: '完全不可能', csat: '非常不满意', ces: '非常困难' },
    high: { nps: '非常可能', csat: '非常满意', ces: '非常容易' },
    other: 'English',
  },
  en: {
    submit: 'Submit',
    required: 'required',
    thanks: 'Thank you for your feedback!',
    already: 'You have already answered this survey. Thank you!',
    closed: 'This survey is closed.',
    invalid: 'This link is not valid or has expired',
    invalidText: 'Please ask whoever sent it for a new link.',
    fix: 'Please check the marked questions and submit again.',
    answerThis: 'Please answer this question as asked',
    low: { nps: 'Not at all likely', csat: 'Very dissatisfied', ces: 'Very difficult' },
    high: { nps: 'Extremely likely', csat: 'Very satisfied', ces: 'Very easy' },
    other: '中文',
  },
} as const;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `*{box-sizing:border-box}body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f5f6f8;color:#1f2329}
main{max-width:36rem;margin:0 auto;padding:1rem}h1{font-size:1.3rem}fieldset{border:0;background:#fff;border-radius:8px;margin:0 0 1rem;padding:1rem}
legend{font-weight:600;padding:0;margin-bottom:.6rem;float:left;width:100%}.scale{display:flex;flex-wrap:wrap;gap:.3rem;clear:both}
.scale label{flex:1 0 2.4rem;text-align:center}.scale input{position:absolute;opacity:0}.scale span{display:block;padding:.6rem 0;border:1px solid #ccd;border-radius:6px;background:#fff}
.scale input:checked+span{background:#1677ff;color:#fff;border-color:#1677ff}.scale input:focus-visible+span{outline:2px solid #1677ff}
.ends{display:flex;justify-content:space-between;font-size:.8rem;color:#667;clear:both;margin-top:.3rem}.opt{display:block;padding:.45rem 0;clear:both}
textarea{width:100%;min-height:6rem;font:inherit;padding:.5rem;border:1px solid #ccd;border-radius:6px;clear:both;display:block}
.err{color:#d4380d;font-size:.9rem;clear:both}button{width:100%;padding:.8rem;font-size:1rem;border:0;border-radius:8px;background:#1677ff;color:#fff}
.lang{text-align:right;font-size:.85rem}.req{color:#d4380d;font-size:.8rem;font-weight:400}`;

function doc(locale: SurveyLocale, title: string, body: string): string {
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

function scaleInput(q: Question, locale: SurveyLocale, value: unknown): string {
  const kind = q.kind as keyof typeof SCALES;
  const [min, max] = SCALES[kind];
  let out = '<div class="scale">';
  for (let n = min; n <= max; n++) {
    const checked = String(value) === String(n) ? ' checked' : '';
    out += `<label><input type="radio" name="${esc(q.id)}" value="${n}"${checked}><span>${n}</span></label>`;
  }
  return `${out}</div><div class="ends"><span>${esc(UI[locale].low[kind])}</span><span>${esc(UI[locale].high[kind])}</span></div>`;
}

function choiceInput(q: Question, locale: SurveyLocale, value: unknown): string {
  const type = q.kind === 'single' ? 'radio' : 'checkbox';
  const chosen = new Set(Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);
  return (q.options ?? [])
    .map((o) => {
      const checked = chosen.has(o.id) ? ' checked' : '';
      return `<label class="opt"><input type="${type}" name="${esc(q.id)}" value="${esc(o.id)}"${checked}> ${esc(textIn(o.label, locale))}</label>`;
    })
    .join('');
}

function questionHtml(q: Question, locale: SurveyLocale, value: unknown, error: string | undefined): string {
  const required = (q.required ?? q.kind !== 'text') ? ` <span class="req">(${UI[locale].required})</span>` : '';
  const input = isScore(q.kind)
    ? scaleInput(q, locale, value)
    : q.kind === 'text'
      ? `<textarea name="${esc(q.id)}" maxlength="2000">${esc(typeof value === 'string' ? value : '')}</textarea>`
      : choiceInput(q, locale, value);
  const err = error ? `<p class="err" role="alert">${esc(error)}</p>` : '';
  return `<fieldset data-question="${esc(q.id)}"><legend>${esc(textIn(q.text, locale))}${required}</legend>${input}${err}</fieldset>`;
}

/** The form: the survey's questions, with the values and the error of a refused submission. */
export function formPage(
  survey: Survey,
  locale: SurveyLocale,
  action: string,
  opts: { values?: Record<string, unknown>; error?: { question?: string; message: string } } = {},
): string {
  const ui = UI[locale];
  const other: SurveyLocale = locale === 'en' ? 'zh-CN' : 'en';
  const intro = survey.intro ? `<p>${esc(textIn(survey.intro, locale))}</p>` : '';
  const top =
    opts.error && !opts.error.question ? `<p class="err" role="alert">${esc(opts.error.message)}</p>` : opts.error ? `<p class="err">${esc(ui.fix)}</p>` : '';
  const questions = survey.questions
    .map((q) => questionHtml(q, locale, opts.values?.[q.id], opts.error?.question === q.id ? ui.answerThis : undefined))
    .join('');
  const body =
    `<p class="lang"><a href="${esc(action)}?lang=${other}">${ui.other}</a></p><h1>${esc(textIn(survey.title, locale))}</h1>${intro}${top}` +
    `<form method="post" action="${esc(action)}?lang=${locale}">${questions}<button type="submit">${ui.submit}</button></form>`;
  return doc(locale, textIn(survey.title, locale), body);
}

/** A page with one message: thanks, already answered, closed, or an invalid link. */
export function messagePage(locale: SurveyLocale, kind: 'thanks' | 'already' | 'closed' | 'invalid', survey?: Survey): string {
  const ui = UI[locale];
  const title = survey ? textIn(survey.title, locale) : ui.invalid;
  const text = kind === 'thanks' && survey?.thanks ? textIn(survey.thanks, locale) : kind === 'invalid' ? ui.invalidText : ui[kind];
  const heading = kind === 'invalid' ? ui.invalid : title;
  return doc(locale, heading, `<h1>${esc(heading)}</h1><p data-state="${kind}">${esc(text)}</p>`);
}

/** The page's language: `?lang=`, else the link's, else the browser's Accept-Language, else zh-CN. */
export function pickLocale(query: unknown, linkLocale: SurveyLocale | undefined, acceptLanguage: string | undefined): SurveyLocale {
  if (query === 'en' || query === 'zh-CN') return query;
  if (linkLocale) return linkLocale;
  // Accept-Language in the browser's order of preference (q-values), first zh or en wins.
  const tags = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? 1,
      );
      return { tag, q: Number.isFinite(q) ? q : 0, i };
    })
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag, q } of tags) {
    if (q <= 0) continue;
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}
