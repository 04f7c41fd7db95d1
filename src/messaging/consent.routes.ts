import type { FastifyInstance } from 'fastify';
import { CdpError, loadProfileConsent, mergedIdsOf } from '../cdp/index.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { consentImportRoutes } from './consent.import.routes.js';
import { consentAllows, consentHistoryPage, type ConsentInput, type ConsentSearch, recordConsent, searchConsent } from './consent.service.js';
import { CHANNELS, CONSENT_PURPOSES, type ConsentPurpose } from './content.js';
import type { MessagingDeps } from './deps.js';
import { consentBody, consentHistoryQuery, consentPage, consentSearchPage, consentSearchQuery, idParams } from './messaging.schemas.js';
import { loadSettings } from './settings.js';

type Id = { Params: { id: string } };

type SearchQuery = Omit<ConsentSearch, 'profileIds'> & { profile?: string; purpose?: ConsentPurpose; limit: number };

/** The profile a consent is recorded on; consent given anew by an erased person lifts the tombstone of the identifier (docs/compliance.md). */
async function consentSubject(deps: MessagingDeps, ws: string, ref: string, granted: boolean): Promise<string> {
  try {
    return await deps.resolveProfile(ws, ref);
  } catch (err) {
    const revived = granted && err instanceof CdpError && err.code === 'PROFILE_NOT_FOUND' ? await deps.reviveErased?.(ws, ref) : undefined;
    if (revived === undefined) throw err;
    return revived;
  }
}

/** The consent ledger (secret key): record, a profile's history, what it allows now per purpose and channel, and the workspace's ledger search. */
export async function consentRoutes(app: FastifyInstance, deps: MessagingDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  app.get<{ Querystring: SearchQuery }>(
    '/v1/messaging/consent',
    {
      preHandler,
      schema: {
        ...secured('consent', "Search the workspace's consent ledger by profile (or identifier), purpose, channel, granted and source"),
        querystring: consentSearchQuery,
        response: { 200: consentSearchPage, ...errorResponses },
      },
    },
    async (req) => {
      const { profile, ...q } = req.query;
      let profileIds: string[] | undefined;
      if (profile) {
        const live = await deps.resolveProfile(req.workspaceId, profile);
        profileIds = [live, ...(await mergedIdsOf(deps.database.db, req.workspaceId, live))];
      }
      return searchConsent(deps, req.workspaceId, { ...q, profileIds });
    },
  );
  app.post<Id & { Body: ConsentInput }>(
    '/v1/profiles/:id/consent',
    {
      preHandler,
      schema: {
        ...secured('consent', 'Record a consent given or withdrawn (appended to the ledger); given for an erased identifier, it lifts its tombstone'),
        params: idParams,
        body: consentBody,
      },
    },
    async (req, reply) => {
      const id = await consentSubject(deps, req.workspaceId, req.params.id, req.body.granted);
      return reply.status(201).send(await recordConsent(deps, req.workspaceId, id, req.body));
    },
  );
  app.get<Id & { Querystring: { limit: number; cursor?: string } }>(
    '/v1/profiles/:id/consent/history',
    {
      preHandler,
      schema: {
        ...secured('consent', "A profile's consent ledger, newest first"),
        params: idParams,
        querystring: consentHistoryQuery,
        response: { 200: consentPage, ...errorResponses },
      },
    },
    async (req) => {
      const id = await deps.resolveProfile(req.workspaceId, req.params.id);
      return consentHistoryPage(deps, req.workspaceId, id, req.query);
    },
  );
  app.get<Id>(
    '/v1/profiles/:id/consent',
    { preHandler, schema: { ...secured('consent', 'Current consent per purpose and channel, derived from the ledger'), params: idParams } },
    async (req) => {
      const id = await deps.resolveProfile(req.workspaceId, req.params.id);
      const settings = await loadSettings(deps, req.workspaceId);
      const db = deps.database.db;
      const current = await loadProfileConsent(db, req.workspaceId, id);
      if (!current) throw new CdpError('PROFILE_NOT_FOUND', `no profile ${id} in this workspace`);
      const { consent } = current;
      const out: Record<string, Record<string, boolean>> = {};
      for (const purpose of CONSENT_PURPOSES) {
        out[purpose] = {};
        for (const ch of CHANNELS) out[purpose][ch] = (await consentAllows(db, req.workspaceId, { id, consent }, purpose, ch, settings)).allowed;
      }
      return { profileId: id, allowed: out };
    },
  );
  await consentImportRoutes(app, deps);
}
