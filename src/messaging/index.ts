/**
 * The messaging domain's public surface: the outbox journeys and broadcasts write to, the
 * dispatcher, templates, channels, guardrails, replies and the PIPL consent ledger.
 */
import { createChannels } from './channels/index.js';
import type { MessagingDeps } from './deps.js';
import { type Dispatcher, type DispatcherOptions, startDispatcher } from './dispatcher.js';

export { type MessagingDeps, type CallerDb, type WeComGroupOwner } from './deps.js';
export { messagingRoutes } from './messaging.routes.js';
export { messagingMigrations } from './migrations.js';
export { MessagingError } from './errors.js';
export type { MessagingHubEvents } from './hub-events.js';
export { type MessagingDB } from './schema.js';
export {
  enqueueMessage,
  enqueueMessages,
  cancelMessages,
  BULK_ENQUEUE_ROWS,
  type EnqueueInput,
  type EnqueueResult,
  type MessageSource,
  type CancelInput,
} from './outbox.js';
export { countMessagesByStepAndStatus, countMessageOutcomes, messageReach, type OutcomeCount, type SourceRef } from './messages.repo.js';
export { recordInboundReply, applySmsReplies, type InboundReply, type InboundReplyResult, type SmsReply, type SmsRepliesResult } from './replies.service.js';
export { createDispatcher, startDispatcher, type Dispatcher, type DispatcherOptions, type DispatchStats } from './dispatcher.js';
export {
  createChannels,
  type Channel,
  type OutboundMessage,
  type SendContext,
  type SendResult,
  webhookSignature,
  smsStringToSign,
  hmacBase64,
} from './channels/index.js';
export { CHANNELS, LOCALES, type ChannelName, type Purpose, isChannel } from './content.js';
export { recordConsent, recordConsentIn, consentHistory, consentAllows, type ConsentInput, type ConsentRecord } from './consent.service.js';
export { loadSettings, updateSettings, DEFAULT_SETTINGS, type MessagingSettings } from './settings.js';
export { createTemplate, updateTemplate, getTemplate, listTemplates, existingTemplateIds, type TemplateView } from './templates.service.js';
export { createLinkSigner, type LinkSigner } from './links.js';
export { queueTestSends, type TestSendDeps, type TestSendInput, type TestSendResult, type GuardrailNote } from './test-sends.js';
export {
  sendWelcomeMessage,
  checkWelcomeTemplate,
  WELCOME_CHANNEL,
  WELCOME_WINDOW_MS,
  type WelcomeDeps,
  type WelcomeInput,
  type WelcomeResult,
} from './welcome.service.js';

/** Starts the outbox dispatcher of a worker process over every channel; it listens to `messaging.outbox-has-work`. */
export function startMessagingWorker(deps: MessagingDeps, opts: DispatcherOptions = {}): Dispatcher {
  return startDispatcher(deps, createChannels(), opts);
}
export { isChannelConfigured } from './channel-config.js';
export { sendWorkspaceEmail, type WorkspaceEmail, type WorkspaceEmailResult } from './workspace-email.js';

// What the demo brand (src/demo) configures and replays: the SMS channel, the gateway's receipts, customers following tracked links
export { putChannelConfig } from './channel-config.js';
export { applySmsReceipts, followTrackedLink } from './delivery.service.js';

// Data-subject rights (compliance): what this module holds about a person.
export { messagingPersonalData } from './personal-data.js';
// Key rotation: messaging's ciphertext (channel secrets, message addresses).
export { messagingCiphertextStores } from './reencrypt.js';
export { messagingRetention, MESSAGE_DELIVERY_EVENTS } from './retention.js';
