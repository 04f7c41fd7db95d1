import type { FastifyInstance } from 'fastify';
import { errorResponses, secured } from '../platform/http-schemas.js';
import { requireKey } from '../platform/http.js';
import type { Scrm } from './deps.js';
import { pageQueryProperties, pageSchema } from '../platform/paging.js';
import { getStaff, listStaff, type StaffFilter } from './staff.service.js';

const staffSchema = {
  type: 'object',
  properties: {
    userid: { type: 'string' },
    name: { type: 'string' },
    departments: { type: 'array', items: { type: 'integer' }, description: 'WeCom department ids' },
    status: { type: 'string', enum: ['active', 'resigned'], description: 'resigned: left the corp; their customers await a handover' },
    canFollow: { type: 'boolean', description: 'allowed to have customers (客户联系)' },
    customers: { type: 'integer', description: 'customers followed now (live relations)' },
    groups: { type: 'integer', description: 'active customer groups owned' },
    updatedAt: { type: 'string', description: 'when the sync last wrote the member' },
  },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    department: { type: 'integer', minimum: 1, description: 'only members of this WeCom department id' },
    status: { type: 'string', enum: ['active', 'resigned'] },
    name: { type: 'string', minLength: 1, maxLength: 64, description: 'part of the name or userid' },
    ...pageQueryProperties(100, 500),
  },
} as const;

const userParams = { type: 'object', required: ['userid'], properties: { userid: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

/** `GET /v1/wecom/staff` and `/v1/wecom/staff/:userid`: the corp's members as the sync mirrored them (secret key). */
export async function staffRoutes(app: FastifyInstance, scrm: Scrm): Promise<void> {
  const preHandler = requireKey(scrm.keys, 'secret');
  app.get<{ Querystring: StaffFilter }>(
    '/v1/wecom/staff',
    {
      preHandler,
      schema: {
        ...secured('wecom', 'WeCom staff (corp members) by userid, with their customer and group counts; filter by department, status, name'),
        querystring: listQuery,
        response: { 200: pageSchema(staffSchema), ...errorResponses },
      },
    },
    async (req) => listStaff(scrm.database.db, req.workspaceId, req.query),
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
}
