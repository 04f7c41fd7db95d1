import { errorClass } from '../platform/errors.js';

/** The messaging domain's expected failures: templates, channels, messages, links. */
export const MessagingError = errorClass('messaging', {
  TEMPLATE_INVALID: 400,
  TEMPLATE_RENDER_FAILED: 422,
  TEMPLATE_NOT_FOUND: 404,
  CHANNEL_CONFIG_INVALID: 400,
  CHANNEL_NOT_CONFIGURED: 409,
  MESSAGE_NOT_FOUND: 404,
  LINK_INVALID: 400,
  /** A test recipient has no address for the channel (no phone for SMS, no email...). */
  RECIPIENT_NO_ADDRESS: 400,
  /** A message uses tracked or unsubscribe links and the workspace has no linkBaseUrl (the message fails; preview and save warn). */
  LINK_BASE_URL_MISSING: 409,
  /** A consent file that cannot be imported: unreadable, unknown columns, too many rows, or (all-or-nothing) bad rows (details: the report). */
  CONSENT_IMPORT_INVALID: 400,
});
