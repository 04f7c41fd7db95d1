/** Request and response schemas of the console sign-in and user routes (the console derives its types from them). */
import { errorSchema } from '../platform/http-schemas.js';

const ROLE = { type: 'string', enum: ['owner', 'operator', 'analyst', 'guide'] } as const;

/** A console user's view of themselves and their workspaces. */
export const sessionSchema = {
  type: 'object',
  required: ['user', 'workspaces', 'csrfToken', 'expiresAt'],
  properties: {
    user: { type: 'object', required: ['id', 'email', 'name'], properties: { id: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' } } },
    workspaces: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'role', 'wecomUserId'],
        properties: { id: { type: 'string' }, name: { type: 'string' }, role: ROLE, wecomUserId: { type: ['string', 'null'] } },
      },
    },
    csrfToken: { type: 'string', description: 'Send it back in the x-csrf-token header on every change' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** `POST /v1/console/login`. */
export const loginBody = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: { email: { type: 'string', minLength: 3, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;

/** `POST /v1/console/password`. */
export const passwordBody = {
  type: 'object',
  required: ['current', 'next'],
  additionalProperties: false,
  properties: { current: { type: 'string', minLength: 1, maxLength: 1024 }, next: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;

/** `POST /v1/console/invitations/accept`. */
export const acceptBody = {
  type: 'object',
  required: ['token', 'password'],
  additionalProperties: false,
  properties: {
    token: { type: 'string', minLength: 10, maxLength: 200 },
    name: { type: 'string', maxLength: 100 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

/** A member of the workspace. */
export const memberSchema = {
  type: 'object',
  required: ['id', 'email', 'name', 'role', 'wecomUserId', 'joinedAt'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: ROLE,
    wecomUserId: { type: ['string', 'null'] },
    joinedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** `POST /v1/users`: an owner creates a user with a first password. */
export const createUserBody = {
  type: 'object',
  required: ['email', 'password', 'role'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', minLength: 3, maxLength: 254 },
    name: { type: 'string', maxLength: 100 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    role: ROLE,
    wecomUserId: { type: ['string', 'null'], minLength: 1, maxLength: 64 },
  },
} as const;

/** `POST /v1/users/invitations`. */
export const inviteBody = {
  type: 'object',
  required: ['email', 'role'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', minLength: 3, maxLength: 254 },
    role: ROLE,
    wecomUserId: { type: ['string', 'null'], minLength: 1, maxLength: 64 },
    locale: { type: 'string', enum: ['zh-CN', 'en'], description: 'The language of the invitation email (default zh-CN)' },
  },
} as const;

/** The answer of an invitation: the link to hand to the person (shown once). */
export const invitationSchema = {
  type: 'object',
  required: ['invitation', 'acceptUrl', 'email'],
  properties: {
    invitation: {
      type: 'object',
      properties: { id: { type: 'string' }, email: { type: 'string' }, role: ROLE, wecomUserId: { type: ['string', 'null'] }, expiresAt: { type: 'string' } },
    },
    acceptUrl: { type: 'string' },
    email: {
      type: 'object',
      required: ['status', 'error'],
      description: "The invitation email: sent through the workspace's email channel (SMTP), or not (then pass the link on yourself)",
      properties: {
        status: { type: 'string', enum: ['sent', 'not_configured', 'failed'], description: 'not_configured: the workspace has no email channel' },
        error: { type: ['string', 'null'], description: 'why the send failed (status failed)' },
      },
    },
  },
} as const;

/** `PATCH /v1/users/:id`. */
export const patchUserBody = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: { role: ROLE, wecomUserId: { type: ['string', 'null'], minLength: 1, maxLength: 64 } },
} as const;

/** `:id` of a user. */
export const userParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

/** Error answers of the sign-in routes. */
export const authErrors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 429: errorSchema } as const;
