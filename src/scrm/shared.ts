/** Helpers every SCRM feature uses: times as the API shows them, and WeCom failures as short text for stored rows. */
import { WeComError, isWeComFailure } from '../wecom/index.js';

/** ISO-8601 text of epoch ms, or null. */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

/** Short text of a WeCom failure with WeCom's own errmsg, for a stored reason: `errcode 41051: ...`, or the error's message. */
export function describeFailure(err: unknown): string {
  if (err instanceof WeComError) return `errcode ${err.errcode}: ${err.errmsg}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** WeCom's answer to a failed call as short text with the errcode's meaning from the table, for a task or handover row; rethrows anything else. */
export function describeWeComError(err: unknown): { errcode: number | null; text: string } {
  if (err instanceof WeComError) return { errcode: err.errcode, text: `errcode ${err.errcode}: ${err.meaning.en}` };
  if (isWeComFailure(err)) return { errcode: null, text: err.message };
  throw err;
}
