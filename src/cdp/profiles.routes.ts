import type { FastifyInstance } from 'fastify';
import type { Services } from '../server/app.js';
import { requireKey } from '../platform/http.js';
import {
  listProfilesQuery,
  mergeListSchema,
  mergesQuery,
  patchTraitsBody,
  profileListSchema,
  profileRefParams,
  profileSchema,
  profileSummarySchema,
  timelinePageSchema,
  timelineQuery,
} from './profiles.schemas.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { getMerges, getProfile, getTimeline, listProfiles, type ListProfilesQuery, patchTraits, type ProfileDeps } from './profiles.service.js';

/** The profile rules' dependencies, taken from the process services. */
export function profileDeps(s: Services): ProfileDeps {
  return {
    database: s.database,
    cipher: s.cipher,
    rulesFor: async (ws) => (await s.writer.settingsFor(ws)).rules,
    defaultRegion: s.config.defaultPhoneRegion,
    now: () => s.clock.now(),
    timelineSources: s.timelineSources,
  };
}

type RefParams = { Params: { id: string } };

/** The profile management API (secret key): look-up, search, timeline, traits, merge history. */
export async function profileRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const preHandler = requireKey(s.keys, 'secret');
  const deps = profileDeps(s);

  app.get<{ Querystring: ListProfilesQuery }>(
    '/v1/profiles',
    {
      preHandler,
      schema: {
        ...secured('profiles', 'List and search profiles (by id; merged profiles are left out)'),
        querystring: listProfilesQuery,
        response: { 200: profileListSchema, ...errorResponses },
      },
    },
    async (req) => listProfiles(deps, req.workspaceId, req.query),
  );

  app.get<RefParams>(
    '/v1/profiles/:id',
    {
      preHandler,
      schema: {
        ...secured('profiles', 'A profile by id or identifier (type:value), with the first 20 events of its timeline'),
        params: profileRefParams,
        response: { 200: profileSchema, ...errorResponses },
      },
    },
    async (req) => getProfile(deps, req.workspaceId, req.params.id),
  );

  app.get<RefParams & { Querystring: { limit: number; cursor?: string; type?: string; event?: string } }>(
    '/v1/profiles/:id/events',
    {
      preHandler,
      schema: {
        ...secured('profiles', "A profile's timeline, newest first, with cursor pagination"),
        params: profileRefParams,
        querystring: timelineQuery,
        response: { 200: timelinePageSchema, ...errorResponses },
      },
    },
    async (req) => getTimeline(deps, req.workspaceId, req.params.id, req.query),
  );

  app.patch<RefParams & { Body: { set?: Record<string, unknown>; unset?: string[] } }>(
    '/v1/profiles/:id/traits',
    {
      preHandler,
      schema: {
        ...secured('profiles', 'Set and unset traits (last write wins by time; identifiers are not changed)'),
        params: profileRefParams,
        body: patchTraitsBody,
        response: { 200: profileSummarySchema, ...errorResponses },
      },
    },
    async (req) => patchTraits(deps, req.workspaceId, req.params.id, req.body),
  );

  app.get<RefParams & { Querystring: { limit: number; cursor?: string } }>(
    '/v1/profiles/:id/merges',
    {
      preHandler,
      schema: {
        ...secured('profiles', 'Merge history: merges into or from this profile and refused merges, newest first'),
        params: profileRefParams,
        querystring: mergesQuery,
        response: { 200: mergeListSchema, ...errorResponses },
      },
    },
    async (req) => getMerges(deps, req.workspaceId, req.params.id, req.query),
  );
}
