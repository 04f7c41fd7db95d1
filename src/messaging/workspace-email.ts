/**
 * Email to a person who is not a profile (a console invitation), through the workspace's email
 * channel settings (`PUT /v1/channels/email`). Not a message of the outbox: no consent, guardrails,
 * tracking or retries apply, nothing is written to `messages` or a timeline; the caller learns at
 * once whether the SMTP server took it.
 */
import { loadChannelConfig } from './channel-config.js';
import { smtpFailure, smtpTransport } from './channels/email.js';
import type { MessagingDeps } from './deps.js';

/** One email: plain text and HTML bodies of the same content. */
export interface WorkspaceEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * What became of it: `sent` (the SMTP server accepted it), `not_configured` (the workspace has no
 * email channel), or `failed` with our description of the SMTP failure (never the server's text).
 */
export type WorkspaceEmailResult =
  { status: 'sent'; messageId: string } | { status: 'not_configured' } | { status: 'failed'; errorCode: string; errorMessage: string };

/** Sends one email with the workspace's SMTP settings, waiting for the server's answer (at most the transport's time-outs, ~40 s). */
export async function sendWorkspaceEmail(
  deps: Pick<MessagingDeps, 'database' | 'cipher' | 'log'>,
  workspaceId: string,
  mail: WorkspaceEmail,
): Promise<WorkspaceEmailResult> {
  const config = await loadChannelConfig(deps, workspaceId, 'email');
  if (!config) return { status: 'not_configured' };
  const transport = smtpTransport(config);
  try {
    const info = await transport.sendMail({
      from: config.config.from as string,
      replyTo: config.config.replyTo as string | undefined,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
    return { status: 'sent', messageId: info.messageId };
  } catch (err) {
    const f = smtpFailure(err);
    deps.log.warn({ workspaceId, errorCode: f.errorCode }, 'messaging: a workspace email failed');
    // The server's words stay in the operator's debug log, as for the email channel.
    deps.log.debug({ workspaceId, upstream: String((err as Error).message ?? '').slice(0, 500) }, 'messaging: SMTP answer');
    return { status: 'failed', errorCode: f.errorCode, errorMessage: f.errorMessage };
  } finally {
    transport.close();
  }
}
