import { fail, type ErrName } from './errors.js';
import { decodeCursor, encodeCursor } from './ids.js';
import type { SandboxState } from './state.js';

/** A call as the route handlers see it: query parameters and the parsed JSON body. */
export interface ApiRequest {
  query: Record<string, string | undefined>;
  body: Record<string, unknown>;
}

/** Behaviour switches of the API beyond the state. */
export interface ApiOptions {
  /** follow_user entries per page of externalcontact/get (WeCom: 500). */
  followUserPageSize: number;
}

/** One WeCom call: `/cgi-bin/<api>` with its method; the handler returns the fields besides errcode/errmsg. */
export interface ApiRoute {
  method: 'GET' | 'POST';
  api: string;
  handler: (state: SandboxState, req: ApiRequest, options: ApiOptions) => Record<string, unknown>;
}

/** A string field; undefined when absent, WeCom's errcode when of another type. */
export function optString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail('INVALID_PARAMETER', `${field} must be a string`);
  return value;
}

/** A required non-empty string field. */
export function reqString(value: unknown, field: string, missing: ErrName = 'INVALID_PARAMETER'): string {
  const s = optString(value, field);
  if (!s) fail(missing, `${field} is required`);
  return s;
}

/** An integer field (JSON number or numeric string, as WeCom accepts both). */
export function optInt(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) fail('INVALID_PARAMETER', `${field} must be an integer`);
  return n;
}

/** A boolean field (true/false or 1/0). */
export function optBool(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  return fail('INVALID_PARAMETER', `${field} must be a boolean`);
}

/** A list of strings of at most `max` entries. */
export function stringList(value: unknown, field: string, max: number): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail('INVALID_PARAMETER', `${field} must be a list of strings`);
  if (value.length > max) fail('INVALID_PARAMETER', `${field} holds ${value.length} entries, at most ${max} are accepted`);
  return value as string[];
}

/**
 * A page size with WeCom's rules: `fallback` when absent; past `max`, either the maximum
 * (`over: 'max'`), the default (`over: 'default'`) or errcode 40058 (`over: 'error'`).
 */
export function pageSize(value: unknown, field: string, rule: { fallback: number; max: number; over: 'max' | 'default' | 'error'; min?: number }): number {
  const n = optInt(value, field);
  if (n === undefined) return rule.fallback;
  if (n < (rule.min ?? 1)) fail('INVALID_PARAMETER', `${field} must be at least ${rule.min ?? 1}`);
  if (n <= rule.max) return n;
  if (rule.over === 'error') fail('INVALID_PARAMETER', `${field} is ${n}, at most ${rule.max} is accepted`);
  return rule.over === 'max' ? rule.max : rule.fallback;
}

/** Reads an opaque cursor of this API, or WeCom's errcode 50100 when it is not one. */
export function readCursor(value: unknown, kind: string, count: number): number[] | undefined {
  const text = optString(value, 'cursor');
  if (!text) return undefined;
  return decodeCursor(kind, text, count) ?? fail('INVALID_CURSOR', `cursor ${text} was not issued by this API`);
}

export { encodeCursor };

/** The customer fields of `external_contact`. */
export function externalContactJson(state: SandboxState, customer: number): Record<string, unknown> {
  const c = state.corp.customer(customer);
  const out: Record<string, unknown> = { external_userid: c.externalUserid, name: c.name, avatar: c.avatar, type: c.type, gender: c.gender };
  if (c.unionid) out.unionid = c.unionid;
  if (c.type === 2) Object.assign(out, { position: c.position, corp_name: c.corpName, corp_full_name: c.corpFullName });
  return out;
}

/** The fields a member's relationship with a customer shares in follow_user and follow_info. */
export function followBaseJson(state: SandboxState, relation: number): Record<string, unknown> {
  const { corp } = state;
  const r = corp.relation(relation);
  const staff = corp.staff[r.staff];
  const out: Record<string, unknown> = {
    userid: staff.userid,
    remark: r.remark,
    description: r.description,
    createtime: r.createTime,
  };
  if (r.remarkCorpName) out.remark_corp_name = r.remarkCorpName;
  out.remark_mobiles = r.remarkMobiles;
  out.oper_userid = r.byCustomer ? corp.externalUserid(r.customer) : staff.userid;
  out.add_way = r.addWay;
  if (r.state) out.state = r.state;
  return out;
}
