import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import { decodeCursor, pageOf } from '../platform/paging.js';
import { sampleEventProperties, sampleProfileKeys, type SeenKey, trackEventNames } from './catalog.repo.js';
import { eventCatalogQuery, eventCatalogSchema, eventPropertiesQuery, eventPropertiesSchema, traitCatalogSchema } from './catalog.schemas.js';
import type { CdpDeps } from './deps.js';
import { cdpDb } from './schema.js';

const asProperties = (keys: SeenKey[]) => keys.map(({ key, ...rest }) => ({ property: key, ...rest }));

/** The data catalogue (secret key): the names found in the data, for pickers such as the segment rule builder. */
export async function catalogRoutes(app: FastifyInstance, deps: CdpDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  const db = cdpDb(deps.database.db);

  app.get(
    '/v1/catalog/traits',
    {
      preHandler,
      schema: {
        ...secured('profiles', 'Trait keys and consent categories found on the most recently updated profiles, with their JSON types and frequent values'),
        response: { 200: traitCatalogSchema, ...errorResponses },
      },
    },
    async (req) => {
      const s = await sampleProfileKeys(db, req.workspaceId);
      return { data: s.traits, consent: s.consent, sampledProfiles: s.sampled, nextCursor: null };
    },
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/catalog/events',
    {
      preHandler,
      schema: {
        ...secured('profiles', 'Names of the track events stored in the workspace, in code-point order'),
        querystring: eventCatalogQuery,
        response: { 200: eventCatalogSchema, ...errorResponses },
      },
    },
    async (req) => {
      const after = req.query.cursor === undefined ? '' : (decodeCursor(req.query.cursor, ['s'])[0] as string);
      const names = await trackEventNames(db, req.workspaceId, after, req.query.limit);
      return pageOf(
        names,
        req.query.limit,
        (name) => ({ name }),
        (name) => [name],
      );
    },
  );

  app.get<{ Querystring: { event: string } }>(
    '/v1/catalog/event-properties',
    {
      preHandler,
      schema: {
        ...secured('profiles', "Property names found on an event's latest occurrences, with their JSON types and frequent values"),
        querystring: eventPropertiesQuery,
        response: { 200: eventPropertiesSchema, ...errorResponses },
      },
    },
    async (req) => {
      const r = await sampleEventProperties(db, req.workspaceId, req.query.event);
      return { event: req.query.event, data: asProperties(r.properties), sampledEvents: r.sampled, nextCursor: null };
    },
  );
}
