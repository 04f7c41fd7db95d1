/** WeCom API shapes: Handover (在职继承 / 离职继承). Field names are WeCom's own (see ../types.ts). */
import type { WeComOk, Cursored } from './common.js';

// ── Handover (在职继承 / 离职继承) ───────────────────────────────────────────────────────────

/** `POST /cgi-bin/externalcontact/transfer_customer` (member still employed). */
export interface TransferCustomerRequest {
  handover_userid: string;
  takeover_userid: string;
  /** At most 100. */
  external_userid: string[];
  /** Shown to the customer; WeCom's default text when absent. */
  transfer_success_msg?: string;
}
/** `POST /cgi-bin/externalcontact/resigned/transfer_customer` (member has left). */
export interface ResignedTransferCustomerRequest {
  handover_userid: string;
  takeover_userid: string;
  external_userid: string[];
}
/** Per-customer outcome: `errcode` 0 when the transfer was accepted. */
export interface TransferCustomerResponse extends WeComOk {
  customer: Array<{ external_userid: string; errcode: number }>;
}

/** `POST /cgi-bin/externalcontact/transfer_result` and `resigned/transfer_result`. */
export interface TransferResultRequest {
  handover_userid: string;
  takeover_userid: string;
  cursor?: string;
}
export interface TransferResultResponse extends WeComOk, Cursored {
  /** status: 1 taken over, 2 waiting, 3 customer refused, 4 takeover member at their limit, 5 no transfer on record. */
  customer: Array<{ external_userid: string; status: 1 | 2 | 3 | 4 | 5; takeover_time: number }>;
}

/** `POST /cgi-bin/externalcontact/get_unassigned_list`: customers of members who left. */
export interface GetUnassignedListRequest {
  /** Deprecated by WeCom in favour of `cursor`. */
  page_id?: number;
  cursor?: string;
  /** At most 1,000. */
  page_size?: number;
}
export interface GetUnassignedListResponse extends WeComOk, Cursored {
  info: Array<{ handover_userid: string; external_userid: string; dimission_time: number }>;
  is_last: boolean;
}
