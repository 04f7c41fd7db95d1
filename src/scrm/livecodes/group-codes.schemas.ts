/** JSON schemas of the group live-code API; like live-codes.schemas.ts, free of server code (the console derives its types from them). */
import { pageSchema } from '../../platform/http-schemas.js';
export { wecomErrors } from './live-codes.schemas.js';

/** WeCom's cap on a group joined by QR code, and the most a code's memberLimit may be. */
export const MAX_GROUP_MEMBERS = 200;

/** The fields a group live code request may set. */
export const inputProperties = {
  name: { type: 'string', minLength: 1, maxLength: 64 },
  chatIds: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100, description: 'customer groups in the order they fill' },
  memberLimit: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_GROUP_MEMBERS,
    description: `a group is full at this many members (default and most ${MAX_GROUP_MEMBERS})`,
  },
  autoCreateRoom: { type: 'boolean', description: 'let WeCom open a new group when every listed one is full (default false)' },
  roomBaseName: { type: ['string', 'null'], maxLength: 40 },
  roomBaseId: { type: ['integer', 'null'], minimum: 0 },
} as const;

/** A group live code in responses. */
export const groupCodeSchema = {
  type: 'object',
  required: ['id', 'name', 'state', 'configId', 'qrCode', 'memberLimit', 'status', 'currentChatId', 'groups', 'syncError', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    state: { type: 'string' },
    configId: { type: ['string', 'null'] },
    qrCode: { type: ['string', 'null'] },
    memberLimit: { type: 'integer' },
    autoCreateRoom: { type: 'boolean' },
    roomBaseName: { type: ['string', 'null'] },
    roomBaseId: { type: ['integer', 'null'] },
    status: { type: 'string', enum: ['active', 'full', 'deleted'] },
    currentChatId: { type: ['string', 'null'] },
    windowChatIds: { type: 'array', items: { type: 'string' }, description: 'the chat_id_list set on the WeCom join way' },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['chatId', 'name', 'memberCount', 'status', 'position'],
        properties: {
          chatId: { type: 'string' },
          name: { type: ['string', 'null'] },
          memberCount: { type: ['integer', 'null'] },
          status: { type: 'string' },
          position: { type: 'string', enum: ['done', 'current', 'waiting'] },
        },
      },
    },
    rotatedAt: { type: ['string', 'null'] },
    syncError: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
export type Id = { Params: { id: string } };

/** Query of `GET /v1/wecom/group-codes`. */
export const pageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, cursor: { type: 'string', maxLength: 200 } },
} as const;
/** `GET /v1/wecom/group-codes`. */
export const groupCodePage = pageSchema(groupCodeSchema);

/** Body of `POST /v1/wecom/group-codes`. */
export const groupCodeCreateBody = { type: 'object', required: ['name', 'chatIds'], additionalProperties: false, properties: inputProperties } as const;
/** Body of `PATCH /v1/wecom/group-codes/:id`. */
export const groupCodePatchBody = { type: 'object', additionalProperties: false, minProperties: 1, properties: inputProperties } as const;
