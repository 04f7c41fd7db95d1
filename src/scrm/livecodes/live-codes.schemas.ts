/** JSON schemas of the live-code API. */
import { errorResponses, errorSchema } from '../../platform/http-schemas.js';
import { STRATEGIES } from './assignment.js';
import { CHANNELS } from './live-codes.repo.js';

export const anyObject = { type: 'object', additionalProperties: true } as const;
/** Error responses of routes that call WeCom (502: WeCom unreachable). */
export const wecomErrors = { ...errorResponses, 502: errorSchema } as const;

const tagInputSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { id: { type: 'string' }, group: { type: 'string' }, name: { type: 'string' } },
} as const;

const welcomeSchema = {
  type: ['object', 'null'],
  description:
    "text with {name} or {{ name }} for the customer's name; attachments in send_welcome_msg's shape (image, link, miniprogram), at most 9; or templateId: a wecom messaging template sent instead; null for none",
  additionalProperties: true,
  properties: { templateId: { type: 'string' }, text: { type: 'string' }, attachments: { type: 'array', items: anyObject }, nameFallback: { type: 'string' } },
} as const;

/** The fields a live code request may set. */
export const inputProperties = {
  name: { type: 'string', minLength: 1, maxLength: 64 },
  channel: { type: 'string', enum: [...CHANNELS] },
  staff: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100, description: 'WeCom userids, in round-robin order' },
  strategy: { type: 'string', enum: [...STRATEGIES], description: 'least_load (default) or round_robin' },
  dailyCap: { type: ['integer', 'null'], minimum: 1, description: 'adds per staff member per local day through this code' },
  overflowUserid: { type: ['string', 'null'], description: 'gets the customers when every staff member is at the cap' },
  tags: { type: 'array', items: tagInputSchema, description: "Siyu tags put on the customer's profile" },
  corpTagIds: { type: 'array', items: { type: 'string' }, description: 'WeCom corp tag ids marked on the customer' },
  welcome: welcomeSchema,
  skipVerify: { type: 'boolean', description: 'add without the member confirming (default true)' },
  expiresAt: { type: ['string', 'null'], description: 'ISO-8601; the contact way is deleted then' },
} as const;

/** A live code in responses. */
export const liveCodeSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    channel: { type: 'string' },
    state: { type: 'string', description: "the contact way's state: attributes adds to this code" },
    configId: { type: ['string', 'null'] },
    qrCode: { type: ['string', 'null'] },
    staff: { type: 'array', items: { type: 'string' } },
    strategy: { type: 'string' },
    dailyCap: { type: ['integer', 'null'] },
    overflowUserid: { type: ['string', 'null'] },
    tags: { type: 'array', items: tagInputSchema },
    corpTagIds: { type: 'array', items: { type: 'string' } },
    welcome: welcomeSchema,
    skipVerify: { type: 'boolean' },
    expiresAt: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['active', 'expired', 'deleted'] },
    activeUsers: { type: 'array', items: { type: 'string' }, description: 'the users WeCom currently hands new customers to' },
    syncError: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    today: {
      type: 'object',
      properties: {
        date: { type: 'string' },
        staff: { type: 'array', items: { type: 'object', properties: { userid: { type: 'string' }, adds: { type: 'integer' }, atCap: { type: 'boolean' } } } },
      },
    },
  },
} as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
export type Id = { Params: { id: string } };
