import { encodeCursor, pageSize, readCursor, reqString, stringList, type ApiRequest, type ApiRoute } from '../api.js';
import { fail } from '../errors.js';
import type { SandboxState, Transfer } from '../state.js';

const NINETY_DAYS_MS = 90 * 86_400_000;
const RESULT_PAGE = 1000;

function transferCustomers(kind: Transfer['kind']) {
  return (state: SandboxState, { body }: ApiRequest) => {
    const { corp } = state;
    const handover =
      corp.findStaff(reqString(body.handover_userid, 'handover_userid', 'USERID_MISSING')) ??
      fail('INVALID_USERID', `no member ${String(body.handover_userid)}`);
    if (kind === 'resigned' && !handover.resigned) fail('NOT_RESIGNED', `${handover.userid} has not left; use transfer_customer for members still employed`);
    if (kind === 'onjob' && handover.resigned) fail('INVALID_USERID', `${handover.userid} has left; use resigned/transfer_customer`);
    const takeover = state.activeStaff(body.takeover_userid, 'takeover_userid');
    if (takeover === handover.index) fail('SAME_HANDOVER_TAKEOVER', 'handover_userid and takeover_userid are the same member');
    const ids = stringList(body.external_userid, 'external_userid', 100);
    if (!ids.length) fail('EXTERNAL_USERID_MISSING', 'external_userid is required (at most 100)');
    const now = corp.now();
    const customer = ids.map((id) => {
      const c = corp.findCustomer(id);
      let errcode = 0;
      if (c === undefined) errcode = 40096;
      else if (corp.relationBetween(handover.index, c) < 0) errcode = 40131;
      else if (state.transfers.some((t) => t.customer === c && t.status === 2)) errcode = 40129;
      else if (kind === 'onjob' && state.transfers.filter((t) => t.kind === 'onjob' && t.customer === c && now - t.startedAt < NINETY_DAYS_MS).length >= 2)
        errcode = 40128;
      else state.transfers.push({ kind, handover: handover.index, takeover, customer: c, startedAt: now, status: 2, takeoverTime: 0 });
      return { external_userid: id, errcode };
    });
    return { customer };
  };
}

function transferResult(kind: Transfer['kind']) {
  return (state: SandboxState, { body }: ApiRequest) => {
    const { corp } = state;
    const handover =
      corp.findStaff(reqString(body.handover_userid, 'handover_userid', 'USERID_MISSING')) ??
      fail('INVALID_USERID', `no member ${String(body.handover_userid)}`);
    const takeover =
      corp.findStaff(reqString(body.takeover_userid, 'takeover_userid', 'USERID_MISSING')) ??
      fail('INVALID_USERID', `no member ${String(body.takeover_userid)}`);
    const list = state.transfers.filter((t) => t.kind === kind && t.handover === handover.index && t.takeover === takeover.index);
    const [from] = readCursor(body.cursor, 'transfer', 1) ?? [0];
    return {
      customer: list
        .slice(from, from + RESULT_PAGE)
        .map((t) => ({ external_userid: corp.externalUserid(t.customer), status: t.status, takeover_time: t.takeoverTime })),
      next_cursor: from + RESULT_PAGE < list.length ? encodeCursor('transfer', [from + RESULT_PAGE]) : '',
    };
  };
}

/** Handover (在职继承 / 离职继承) and the customers of members who left. */
export const transferRoutes: ApiRoute[] = [
  { method: 'POST', api: 'externalcontact/transfer_customer', handler: transferCustomers('onjob') },
  { method: 'POST', api: 'externalcontact/resigned/transfer_customer', handler: transferCustomers('resigned') },
  { method: 'POST', api: 'externalcontact/transfer_result', handler: transferResult('onjob') },
  { method: 'POST', api: 'externalcontact/resigned/transfer_result', handler: transferResult('resigned') },
  {
    method: 'POST',
    api: 'externalcontact/get_unassigned_list',
    handler: (state, { body }) => {
      const { corp } = state;
      const size = pageSize(body.page_size, 'page_size', { fallback: 1000, max: 1000, over: 'max' });
      const resigned = corp.staff.filter((s) => s.resigned);
      const inTransfer = new Set(state.transfers.filter((t) => t.status === 2).map((t) => `${t.handover}:${t.customer}`));
      let [pos, rel] = readCursor(body.cursor, 'unassigned', 2) ?? [0, resigned.length ? corp.firstOfStaff(resigned[0].index) : -1];
      const info: Array<{ handover_userid: string; external_userid: string; dimission_time: number }> = [];
      while (pos < resigned.length) {
        if (rel < 0) {
          pos++;
          if (pos < resigned.length) rel = corp.firstOfStaff(resigned[pos].index);
          continue;
        }
        if (corp.isAlive(rel) && !inTransfer.has(`${resigned[pos].index}:${corp.customerOf(rel)}`)) {
          if (info.length === size) break;
          info.push({
            handover_userid: resigned[pos].userid,
            external_userid: corp.externalUserid(corp.customerOf(rel)),
            dimission_time: resigned[pos].dimissionTime,
          });
        }
        rel = corp.nextOfStaff(rel);
      }
      const last = pos >= resigned.length;
      return { info, is_last: last, next_cursor: last ? '' : encodeCursor('unassigned', [pos, rel]) };
    },
  },
];
