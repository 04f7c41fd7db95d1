import type { FastifyInstance } from 'fastify';
import { requireKey } from '../platform/http.js';
import { type CdpDeps, profileDepsOf } from './deps.js';
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
import { getMerges, getProfile, getTimeline, listProfiles, type ListProfilesQuery, patchTraits } from './profiles.service.js';

type RefParams = { Params: { id: string } };

/** The profile management API (secret key): look-up, search, timeline, traits, merge history. */
export async function profileRoutes(app: FastifyInstance, cdp: CdpDeps): Promise<void> {
  const preHandler = requireKey(cdp.keys, 'secret');
  const deps = profileDepsOf(cdp);

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
