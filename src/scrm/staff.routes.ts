import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { Scrm } from './deps.js';
import { pageSchema } from '../platform/paging.js';
import { type ContactFilter, listContacts, listCorpTags } from './contacts.list.js';
import { contactPage, contactsQuery, corpTagSchema, corpTagsQuery, profileWeComSchema, staffQuery, staffSchema, userParams } from './staff.schemas.js';
import { profileWeCom } from './profile-wecom.js';
import { getStaff, listStaff, type StaffFilter } from './staff.service.js';

/**
 * `GET /v1/wecom/staff` and `/v1/wecom/staff/:userid`: the corp's members as the sync mirrored
 * them; `GET /v1/wecom/contacts`: the customers with the staff who follow them; `GET
 * /v1/wecom/corp-tags`: the corp's customer tags; `GET /v1/profiles/:id/wecom`: a profile's customers,
 * their staff (owner first) and groups (secret key).
 */
export async function staffRoutes(app: FastifyInstance, scrm: Scrm): Promise<void> {
  const preHandler = requireKey(scrm.keys, 'secret');
  app.get<{ Querystring: StaffFilter }>(
    '/v1/wecom/staff',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'WeCom staff (corp members) by userid, with their customer and group counts; filter by department, status, name'),
        querystring: staffQuery,
        response: { 200: pageSchema(staffSchema), ...errorResponses },
      },
    },
    async (req) => listStaff(scrm.database.db, req.workspaceId, req.query),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/profiles/:id/wecom',
    {
      preHandler,
      schema: {
        ...secured('wecom', "A profile's WeCom side: its customers, the staff who follow them (owner first) and the customer groups they are in"),
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 300 } } },
        response: { 200: profileWeComSchema, ...errorResponses },
      },
    },
    async (req) => profileWeCom(scrm.database.db, req.workspaceId, await scrm.resolveProfileRef(req.workspaceId, req.params.id)),
  );
  app.get<{ Params: { userid: string } }>(
    '/v1/wecom/staff/:userid',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'One WeCom staff member with their customer and group counts'),
        params: userParams,
        response: { 200: staffSchema, ...errorResponses },
      },
    },
    async (req) => getStaff(scrm.database.db, req.workspaceId, req.params.userid),
  );
  app.get<{ Querystring: ContactFilter }>(
    '/v1/wecom/contacts',
    {
      preHandler,
      schema: {
        ...secured(
          'wecom',
          'WeCom customers (external contacts) by external_userid, with every staff member who follows or followed them and their corp tags; filter by owner, corp tag, name, status',
        ),
        querystring: contactsQuery,
        response: { 200: contactPage, ...errorResponses },
      },
    },
    async (req) => listContacts(scrm.database.db, req.workspaceId, req.query),
  );
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/wecom/corp-tags',
    {
      preHandler,
      schema: {
        ...secured('wecom', "The corp's customer tags (企业标签) as the sync and callbacks mirrored them, by group and name"),
        querystring: corpTagsQuery,
        response: { 200: pageSchema(corpTagSchema), ...errorResponses },
      },
    },
    async (req) => listCorpTags(scrm.database.db, req.workspaceId, req.query),
  );
}
