/**
 * The invitation email (zh-CN or en), sent through the workspace's SMTP channel settings by the
 * messaging module (the `mailer` port). When the workspace has no email channel, or the send
 * fails, the invitation stands and the owner passes the link on.
 */
import type { Role } from '../platform/principal.js';
import { getWorkspace } from '../platform/workspaces.js';
import type { AccessDeps, AccessEmail } from './deps.js';
import { userById } from './users.repo.js';
import { INVITATION_TTL_MS } from './users.service.js';

/** The languages an invitation email is written in. */
export type EmailLocale = 'zh-CN' | 'en';

/** What became of the invitation email, as the API answers it. */
export interface InvitationEmailOutcome {
  status: 'sent' | 'not_configured' | 'failed';
  /** Why it failed (`smtp:550: the SMTP server answered 550 to RCPT TO`), else null. */
  error: string | null;
}

const ROLE_NAMES: Record<EmailLocale, Record<Role, string>> = {
  'zh-CN': { owner: '所有者', operator: '运营', analyst: '分析师', guide: '导购' },
  en: { owner: 'owner', operator: 'operator', analyst: 'analyst', guide: 'guide' },
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The words of an invitation email in one language (plain text; the HTML body is built from the same lines). */
function invitationWords(locale: EmailLocale, v: { workspace: string; inviter: string | null; role: Role; days: number }) {
  const role = ROLE_NAMES[locale][v.role];
  if (locale === 'en') {
    return {
      subject: `You're invited to ${v.workspace} on Siyu`,
      intro: `${v.inviter ?? 'An owner'} invited you to join the Siyu workspace "${v.workspace}" as ${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}.`,
      action: `Open the link to choose your name and password. It works once, for ${v.days} days:`,
      button: 'Join the workspace',
      ignore: 'If you did not expect this invitation, you can ignore this email; nothing happens until the link is opened.',
    };
  }
  return {
    subject: `邀请你加入「${v.workspace}」· 私域 Siyu`,
    intro: `${v.inviter ?? '工作空间所有者'}邀请你以「${role}」身份加入私域 Siyu 的工作空间「${v.workspace}」。`,
    action: `请打开下面的链接设置姓名和密码（${v.days} 天内有效，仅可使用一次）：`,
    button: '加入工作空间',
    ignore: '如果你没有预期收到此邀请，忽略此邮件即可；链接未被打开前不会发生任何事。',
  };
}

/** The invitation email to `to` (exported for its test). */
export function invitationEmail(locale: EmailLocale, v: { to: string; workspace: string; inviter: string | null; role: Role; acceptUrl: string }): AccessEmail {
  const w = invitationWords(locale, { ...v, days: Math.round(INVITATION_TTL_MS / 86_400_000) });
  const text = [w.intro, '', w.action, v.acceptUrl, '', w.ignore, ''].join('\n');
  const url = escapeHtml(v.acceptUrl);
  const html = [
    `<!doctype html><html lang="${locale}"><body style="font-family:sans-serif;line-height:1.6;color:#222">`,
    `<p>${escapeHtml(w.intro)}</p>`,
    `<p>${escapeHtml(w.action)}</p>`,
    `<p><a href="${url}" style="display:inline-block;padding:8px 16px;background:#1677ff;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(w.button)}</a></p>`,
    `<p style="word-break:break-all"><a href="${url}">${url}</a></p>`,
    `<p style="color:#888">${escapeHtml(w.ignore)}</p>`,
    '</body></html>',
  ].join('\n');
  return { to: v.to, subject: w.subject, text, html };
}

/**
 * Emails an invitation's link in `locale` through the workspace's SMTP channel. Never throws: the
 * invitation exists already, so a failure is answered (and logged), not raised.
 */
export async function emailInvitation(
  deps: AccessDeps,
  input: { workspaceId: string; email: string; role: Role; acceptUrl: string; invitedBy: string | undefined; locale: EmailLocale },
): Promise<InvitationEmailOutcome> {
  if (!deps.mailer) return { status: 'not_configured', error: null };
  try {
    const db = deps.database.db;
    const ws = await getWorkspace(db, input.workspaceId);
    const inviter = input.invitedBy ? await userById(db, input.invitedBy) : undefined;
    const mail = invitationEmail(input.locale, {
      to: input.email,
      workspace: ws?.name ?? input.workspaceId,
      inviter: inviter ? `${inviter.name} (${inviter.email})` : null,
      role: input.role,
      acceptUrl: input.acceptUrl,
    });
    const r = await deps.mailer(input.workspaceId, mail);
    return r.status === 'failed' ? { status: 'failed', error: `${r.errorCode}: ${r.errorMessage}` } : { status: r.status, error: null };
  } catch (err) {
    deps.log.error({ err, workspaceId: input.workspaceId }, 'access: the invitation email could not be sent');
    return { status: 'failed', error: 'the email could not be sent; see the server log' };
  }
}
