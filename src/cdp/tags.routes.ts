import { pageQueryProperties, pageSchema } from '../platform/paging.js';
import type { FastifyInstance } from 'fastify';
import { withRetries } from '../platform/db/database.js';
import { requireKey } from '../platform/http.js';
import { type CdpDeps, profileDepsOf } from './deps.js';
import { addTagsBody, createTagBody, idParams, nameBody, profileRefParams, profileTagsSchema, tagGroupSchema, tagSchema } from './profiles.schemas.js';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { resolveProfileRef } from './profiles.service.js';
import {
  addTagsToProfile,
  createTag,
  createTagGroup,
  deleteTag,
  deleteTagGroup,
  listTagGroups,
  listTags,
  removeTagFromProfile,
  renameTag,
  renameTagGroup,
  type TagInput,
} from './tags.service.js';

type IdParams = { Params: { id: string } };
type KeyCheck = ReturnType<typeof requireKey>;
type NameBody = { Body: { name: string } };

/** Tags on profiles and the tag catalogue (groups and tags), secret key. */
export async function tagRoutes(app: FastifyInstance, deps: CdpDeps): Promise<void> {
  const preHandler = requireKey(deps.keys, 'secret');
  await profileTagRoutes(app, deps, preHandler);
  await tagGroupRoutes(app, deps, preHandler);
  await catalogueTagRoutes(app, deps, preHandler);
}

/** Adding tags to and removing them from a profile. */
async function profileTagRoutes(app: FastifyInstance, cdp: CdpDeps, preHandler: KeyCheck): Promise<void> {
  const deps = profileDepsOf(cdp);
  const db = cdp.database.db;

  app.post<IdParams & { Body: { tags: TagInput[] } }>(
    '/v1/profiles/:id/tags',
    {
      preHandler,
      schema: {
        ...secured('tags', 'Add tags to a profile: by id, or by group and name (created in the catalogue if missing; group defaults to "default")'),
        params: profileRefParams,
        body: addTagsBody,
        response: { 200: profileTagsSchema, ...errorResponses },
      },
    },
    async (req) => {
      const id = await resolveProfileRef(deps, req.workspaceId, req.params.id);
      return withRetries(cdp.database, () => addTagsToProfile(db, req.workspaceId, id, req.body.tags, 'manual', cdp.now()));
    },
  );

  app.delete<{ Params: { id: string; tagId: string } }>(
    '/v1/profiles/:id/tags/:tagId',
    {
      preHandler,
      schema: {
        ...secured('tags', 'Remove a tag from a profile (a no-op if the profile does not hold it)'),
        params: { type: 'object', required: ['id', 'tagId'], properties: { ...profileRefParams.properties, tagId: { type: 'string', minLength: 1 } } },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const id = await resolveProfileRef(deps, req.workspaceId, req.params.id);
      await withRetries(cdp.database, () => removeTagFromProfile(db, req.workspaceId, id, req.params.tagId, cdp.now()));
      return reply.status(204).send();
    },
  );
}

/** The tag groups of the catalogue. */
async function tagGroupRoutes(app: FastifyInstance, deps: CdpDeps, preHandler: KeyCheck): Promise<void> {
  const db = deps.database.db;

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/tag-groups',
    {
      preHandler,
      schema: {
        ...secured('tags', 'List tag groups with their tag counts, by name'),
        querystring: { type: 'object', additionalProperties: false, properties: pageQueryProperties(1000, 1000) },
        response: { 200: pageSchema(tagGroupSchema), ...errorResponses },
      },
    },
    async (req) => listTagGroups(db, req.workspaceId, req.query),
  );

  app.post<NameBody>(
    '/v1/tag-groups',
    {
      preHandler,
      schema: { ...secured('tags', 'Create a tag group (names are unique)'), body: nameBody, response: { 201: tagGroupSchema, ...errorResponses } },
    },
    async (req, reply) => reply.status(201).send(await createTagGroup(db, req.workspaceId, req.body.name, deps.now())),
  );

  app.patch<IdParams & NameBody>(
    '/v1/tag-groups/:id',
    {
      preHandler,
      schema: { ...secured('tags', 'Rename a tag group'), params: idParams, body: nameBody, response: { 200: tagGroupSchema, ...errorResponses } },
    },
    async (req) => renameTagGroup(db, req.workspaceId, req.params.id, req.body.name),
  );

  app.delete<IdParams & { Querystring: { force?: boolean } }>(
    '/v1/tag-groups/:id',
    {
      preHandler,
      schema: {
        ...secured('tags', 'Delete a tag group; refused while it has tags unless force=true, which deletes them and removes them from profiles'),
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: { force: { type: 'boolean', default: false } } },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (req, reply) => {
      await withRetries(deps.database, () => deleteTagGroup(db, req.workspaceId, req.params.id, req.query.force === true));
      return reply.status(204).send();
    },
  );
}

/** The tags of the catalogue. */
async function catalogueTagRoutes(app: FastifyInstance, deps: CdpDeps, preHandler: KeyCheck): Promise<void> {
  const db = deps.database.db;

  app.get<{ Querystring: { group?: string; limit: number; cursor?: string } }>(
    '/v1/tags',
    {
      preHandler,
      schema: {
        ...secured('tags', 'List tags with the number of profiles holding each'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { group: { type: 'string', minLength: 1, description: 'Only tags of this group (id or name)' }, ...pageQueryProperties(1000, 1000) },
        },
        response: { 200: pageSchema(tagSchema), ...errorResponses },
      },
    },
    async (req) => listTags(db, req.workspaceId, req.query.group, req.query),
  );

  app.post<{ Body: { name: string; group?: string; groupId?: string } }>(
    '/v1/tags',
    {
      preHandler,
      schema: {
        ...secured('tags', 'Create a tag in a group (by groupId, or by group name, created if missing)'),
        body: createTagBody,
        response: { 201: tagSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.status(201).send(await createTag(db, req.workspaceId, req.body, deps.now())),
  );

  app.patch<IdParams & NameBody>(
    '/v1/tags/:id',
    { preHandler, schema: { ...secured('tags', 'Rename a tag'), params: idParams, body: nameBody, response: { 200: tagSchema, ...errorResponses } } },
    async (req) => renameTag(db, req.workspaceId, req.params.id, req.body.name),
  );

  app.delete<IdParams>(
    '/v1/tags/:id',
    {
      preHandler,
      schema: { ...secured('tags', 'Delete a tag and remove it from every profile'), params: idParams, response: { 204: { type: 'null' }, ...errorResponses } },
    },
    async (req, reply) => {
      await withRetries(deps.database, () => deleteTag(db, req.workspaceId, req.params.id));
      return reply.status(204).send();
    },
  );
}
