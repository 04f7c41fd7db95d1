import nodemailer from 'nodemailer';
import type { ChannelConfig } from '../channel-config.js';
import { type Channel, logUpstream } from './types.js';

/** SMTP reply codes and nodemailer error codes after which a later attempt may succeed. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED']);

/** A one-message SMTP transport from the workspace's email channel settings (close it after the send). */
export function smtpTransport(c: ChannelConfig) {
  const cfg = c.config;
  return nodemailer.createTransport({
    host: cfg.host as string,
    port: cfg.port as number,
    secure: cfg.secure === true,
    requireTLS: cfg.requireTls === true,
    ignoreTLS: cfg.ignoreTls === true,
    auth: cfg.user ? { user: cfg.user as string, pass: c.secrets.password ?? '' } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
}

/** An SMTP failure in our words (the reply code and command, never the server's text) and its code (`smtp:550`, `smtp:ECONNREFUSED`). */
export function smtpFailure(err: unknown): { errorCode: string; errorMessage: string; responseCode?: number; code?: string; command?: string } {
  const e = err as { code?: string; responseCode?: number; command?: string };
  if (e.responseCode) {
    return {
      errorCode: `smtp:${e.responseCode}`,
      errorMessage: `the SMTP server answered ${e.responseCode}${e.command ? ` to ${e.command}` : ''}`,
      responseCode: e.responseCode,
      command: e.command,
    };
  }
  return { errorCode: `smtp:${e.code ?? 'ERROR'}`, errorMessage: `the SMTP exchange failed (${e.code ?? 'ERROR'})`, code: e.code, command: e.command };
}

/**
 * Email over SMTP (nodemailer), one connection per message. The `Message-ID` is derived from our
 * message id and `List-Unsubscribe` (+ one-click POST, RFC 8058) carries the unsubscribe link.
 * SMTP has no idempotency: an unknown outcome (crash after DATA) is marked `unknown`, not resent.
 */
export const emailChannel: Channel = {
  name: 'email',
  afterCrash: 'unknown',
  address: 'email',
  async send(ctx, msg) {
    const c = ctx.config;
    if (!c) return { status: 'failed', errorCode: 'CHANNEL_NOT_CONFIGURED', errorMessage: 'email channel is not configured', retryable: false };
    if (!msg.address) return { status: 'failed', errorCode: 'NO_ADDRESS', retryable: false };
    const cfg = c.config;
    const transport = smtpTransport(c);
    const headers: Record<string, string> = { 'X-Siyu-Message-Id': msg.id };
    if (msg.unsubscribeUrl) {
      headers['List-Unsubscribe'] = `<${msg.unsubscribeUrl}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    try {
      const info = await transport.sendMail({
        from: cfg.from as string,
        replyTo: cfg.replyTo as string | undefined,
        to: msg.address,
        subject: String(msg.content.subject ?? ''),
        html: msg.content.html as string | undefined,
        text: msg.content.text as string | undefined,
        messageId: `<${msg.id}@siyu>`,
        headers,
      });
      return { status: 'sent', providerMessageId: info.messageId, retryable: false };
    } catch (err) {
      const f = smtpFailure(err);
      // The server's words stay in the debug log; the tenant sees the reply code and ours.
      logUpstream(ctx, msg.id, { channel: 'email', responseCode: f.responseCode, code: f.code, command: f.command }, String((err as Error).message ?? ''));
      if (f.responseCode) {
        return { status: 'failed', errorCode: f.errorCode, errorMessage: f.errorMessage, retryable: f.responseCode >= 400 && f.responseCode < 500 };
      }
      const transient = TRANSIENT_CODES.has(f.code ?? '');
      // A socket lost after DATA was sent may have delivered the message.
      return { status: 'failed', errorCode: f.errorCode, errorMessage: f.errorMessage, retryable: transient, ambiguous: transient && f.command === 'DATA' };
    } finally {
      transport.close();
    }
  },
};
