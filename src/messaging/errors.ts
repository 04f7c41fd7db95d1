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
});
