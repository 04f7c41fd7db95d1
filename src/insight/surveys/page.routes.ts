/**
 * The hosted answer page, public (the signed token is the authority, no key, no console login):
 * GET `/s/:token` shows the form (one indexed read of the survey and one of the answer: cheap to
 * serve to every click); POST `/s/:token` takes the browser's form or JSON `{ answers }`. HTML
 * clients get pages (a refused answer shows the form again with the question marked, status
 * 400); JSON clients get `{ answerId, duplicate }` or the usual error body.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import type { InsightDeps } from '../deps.js';
import { existingAnswer, openLink, submitAnswer } from './answers.service.js';
import { formPage, messagePage, pickLocale } from './page.js';
import type { SurveyLocale } from './surveys.types.js';

type Req = FastifyRequest<{ Params: { token: string }; Querystring: { lang?: string } }>;

const html = (reply: FastifyReply, status: number, body: string) =>
  reply.status(status).header('cache-control', 'private, no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8').send(body);

/** A form body as answers: repeated fields (checkboxes) become lists. */
function formAnswers(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const params = new URLSearchParams(body);
  for (const k of new Set(params.keys())) {
    const all = params.getAll(k);
    out[k] = all.length > 1 ? all : all[0];
  }
  return out;
}

/** The error page of a failed open (invalid, expired, closed), or rethrows what is not one. */
function failurePage(reply: FastifyReply, err: unknown, locale: SurveyLocale) {
  if (err instanceof AppError && err.code === 'SURVEY_LINK_INVALID') return html(reply, 401, messagePage(locale, 'invalid'));
  if (err instanceof AppError && err.code === 'SURVEY_NOT_FOUND') return html(reply, 410, messagePage(locale, 'closed'));
  throw err;
}

/** Registers `/s/:token` (GET and POST). */
export async function surveyPageRoutes(app: FastifyInstance, deps: InsightDeps): Promise<void> {
  const localeOf = (req: Req, link?: { locale?: SurveyLocale }) => pickLocale(req.query.lang, link?.locale, req.headers['accept-language']);
  const params = { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: 2048 } } } as const;
  const querystring = { type: 'object', properties: { lang: { type: 'string', maxLength: 10 } } } as const;

  app.get('/s/:token', { schema: { hide: true, params, querystring } }, async (req: Req, reply) => {
    let open;
    try {
      open = await openLink(deps, req.params.token);
    } catch (err) {
      return failurePage(reply, err, localeOf(req));
    }
    const locale = localeOf(req, open.link);
    if (await existingAnswer(deps.database.db, open.link)) return html(reply, 200, messagePage(locale, 'already', open.survey));
    return html(reply, 200, formPage(open.survey, locale, `/s/${req.params.token}`));
  });

  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_r, body, done) => done(null, body));
    scope.post('/s/:token', { schema: { hide: true, params, querystring } }, async (req: Req, reply) => {
      const isForm = typeof req.body === 'string';
      const link = deps.surveys.signer.verify(req.params.token);
      const locale = localeOf(req, link);
      const raw = isForm ? formAnswers(req.body as string) : (((req.body as { answers?: unknown } | undefined)?.answers ?? {}) as Record<string, unknown>);
      if (!isForm && (typeof raw !== 'object' || raw === null || Array.isArray(raw)))
        throw new AppError('VALIDATION_FAILED', 'body must be { "answers": { "<question id>": value } }');
      try {
        const r = await submitAnswer(deps, req.params.token, raw, locale);
        if (!isForm) return { answerId: r.answerId, duplicate: r.duplicate };
        return html(reply, 200, messagePage(locale, r.duplicate ? 'already' : 'thanks', r.survey));
      } catch (err) {
        if (!isForm) throw err;
        if (err instanceof AppError && err.code === 'SURVEY_ANSWER_INVALID') {
          const open = await openLink(deps, req.params.token);
          const question = (err.details as { question?: string } | undefined)?.question;
          return html(reply, 400, formPage(open.survey, locale, `/s/${req.params.token}`, { values: raw, error: { question, message: err.message } }));
        }
        return failurePage(reply, err, locale);
      }
    });
  });
}
