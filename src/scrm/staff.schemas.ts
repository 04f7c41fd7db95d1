/** JSON schemas of the staff, customer (external contact) and corp-tag reads; free of server code (the console derives its types from them). */
import { pageQueryProperties, pageSchema } from '../platform/http-schemas.js';

/** A staff member. */
export const staffSchema = {
  type: 'object',
  required: ['userid', 'name', 'departments', 'status', 'canFollow', 'customers', 'groups', 'updatedAt'],
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

/** Query of `GET /v1/wecom/staff`. */
export const staffQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    department: { type: 'integer', minimum: 1, description: 'only members of this WeCom department id' },
    status: { type: 'string', enum: ['active', 'resigned'] },
    name: { type: 'string', minLength: 1, maxLength: 64, description: 'part of the name or userid' },
    ...pageQueryProperties(100, 500),
  },
} as const;

export const userParams = { type: 'object', required: ['userid'], properties: { userid: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

/** A corp tag (企业标签) as WeCom holds it. */
export const corpTagSchema = {
  type: 'object',
  required: ['id', 'name', 'groupId', 'groupName'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, groupId: { type: 'string' }, groupName: { type: 'string' } },
} as const;

/** Query of `GET /v1/wecom/corp-tags`. */
export const corpTagsQuery = { type: 'object', additionalProperties: false, properties: pageQueryProperties(500, 1000) } as const;

/** One staff member's relation with a customer. */
export const followerSchema = {
  type: 'object',
  required: ['userid', 'staffName', 'remark', 'state', 'addWay', 'addedAt', 'deletedAt', 'deletedBy', 'tags'],
  properties: {
    userid: { type: 'string' },
    staffName: { type: ['string', 'null'] },
    remark: { type: ['string', 'null'] },
    state: { type: ['string', 'null'], description: 'the state of the contact way (live code) the customer came through' },
    addWay: { type: ['integer', 'null'], description: "WeCom's add_way" },
    addedAt: { type: 'string' },
    deletedAt: { type: ['string', 'null'], description: 'when the relation ended' },
    deletedBy: { type: ['string', 'null'], description: 'customer, staff, transfer or sync' },
    tags: { type: 'array', items: corpTagSchema, description: 'the corp tags this member put on the customer' },
  },
} as const;

/** A customer (external contact) with the staff who follow or followed them. */
export const contactSchema = {
  type: 'object',
  required: ['externalUserid', 'name', 'type', 'corpName', 'avatar', 'profileId', 'createdAt', 'following', 'followers'],
  properties: {
    externalUserid: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string', enum: ['wechat', 'wecom', 'unknown'] },
    corpName: { type: ['string', 'null'] },
    avatar: { type: ['string', 'null'] },
    profileId: { type: 'string', description: 'the One ID profile (merges followed)' },
    createdAt: { type: 'string', description: 'when Siyu first saw the customer' },
    following: { type: 'integer', description: 'staff members who follow the customer now' },
    followers: { type: 'array', items: followerSchema, description: 'every relation, live ones first' },
  },
} as const;

/** Query of `GET /v1/wecom/contacts`. */
export const contactsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    owner: { type: 'string', minLength: 1, maxLength: 64, description: 'only customers this staff member follows now' },
    tag: { type: 'string', minLength: 1, maxLength: 64, description: 'only customers with this corp tag id on a live relation' },
    q: { type: 'string', minLength: 1, maxLength: 64, description: 'part of the name or external_userid' },
    status: { type: 'string', enum: ['following', 'lost'], description: 'following: someone follows them now; lost: nobody does any more' },
    ...pageQueryProperties(50, 200),
  },
} as const;

/** `GET /v1/wecom/contacts`. */
export const contactPage = pageSchema(contactSchema);

/** Answer of `GET /v1/profiles/:id/wecom`. */
export const profileWeComSchema = {
  type: 'object',
  required: ['profileId', 'contacts', 'staff', 'groups'],
  properties: {
    profileId: { type: 'string', description: 'the live profile (a reference is resolved, merges followed)' },
    contacts: {
      type: 'array',
      description: 'the WeCom customers (external contacts) resolved to this profile or one merged into it',
      items: {
        type: 'object',
        required: ['externalUserid', 'name', 'type', 'avatar', 'corpName'],
        properties: {
          externalUserid: { type: 'string' },
          name: { type: 'string' },
          type: { type: 'string', enum: ['wechat', 'wecom', 'unknown'] },
          avatar: { type: ['string', 'null'] },
          corpName: { type: ['string', 'null'] },
        },
      },
    },
    staff: {
      type: 'array',
      description: 'every staff relation of those customers: live ones first, the longest-standing first; the first live one is the owner',
      items: {
        ...followerSchema,
        required: [...followerSchema.required, 'externalUserid', 'owner'],
        properties: { ...followerSchema.properties, externalUserid: { type: 'string' }, owner: { type: 'boolean' } },
      },
    },
    groups: {
      type: 'array',
      description: 'customer groups the customers are in (then were in, quitAt set), the latest joined first',
      items: {
        type: 'object',
        required: ['chatId', 'name', 'owner', 'ownerName', 'status', 'memberCount', 'externalUserid', 'joinedAt', 'joinScene', 'quitAt'],
        properties: {
          chatId: { type: 'string' },
          name: { type: 'string' },
          owner: { type: 'string', description: 'the owner staff userid' },
          ownerName: { type: ['string', 'null'] },
          status: { type: 'string', enum: ['active', 'dismissed'] },
          memberCount: { type: 'integer' },
          externalUserid: { type: 'string', description: "which of the profile's customers is the member" },
          joinedAt: { type: 'string' },
          joinScene: { type: ['integer', 'null'], description: '1 invited directly, 2 invited by link, 3 scanned a group QR code' },
          quitAt: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;
