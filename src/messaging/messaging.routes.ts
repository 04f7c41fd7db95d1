import type { FastifyInstance } from 'fastify';
import { consentRoutes } from './consent.routes.js';
import type { MessagingDeps } from './deps.js';
import { linkRoutes } from './links.routes.js';
import { messageRoutes } from './messages.routes.js';
import { settingsRoutes } from './settings.routes.js';
import { smsHookRoutes } from './sms-hooks.routes.js';
import { templateRoutes } from './templates.routes.js';

/**
 * The messaging API: templates, channel configs, settings, messages, consent (secret key), and
 * the public link routes `/r/:token` (click), `/o/:token` (open pixel), `/u/:token` (unsubscribe)
 * and the SMS gateway's receipt and reply callbacks.
 */
export async function messagingRoutes(app: FastifyInstance, deps: MessagingDeps): Promise<void> {
  await templateRoutes(app, deps);
  await settingsRoutes(app, deps);
  await messageRoutes(app, deps);
  await consentRoutes(app, deps);
  await linkRoutes(app, deps);
  await smsHookRoutes(app, deps);
}
