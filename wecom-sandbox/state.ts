import { FakeCorp, type FakeCorpOptions } from './corp.js';
import { fail } from './errors.js';
import { GroupStore } from './groups.js';
import { hashChars, hashHex, SALT } from './ids.js';

/** A 「联系我」 contact way, as add_contact_way configured it. */
export interface ContactWay {
  configId: string;
  type: 1 | 2;
  scene: 1 | 2;
  style?: number;
  remark: string;
  skipVerify: boolean;
  state: string;
  user: string[];
  party: number[];
  isTemp: boolean;
  expiresIn?: number;
  chatExpiresIn?: number;
  unionid?: string;
  isExclusive: boolean;
  conclusions?: unknown;
  /** Seconds. */
  createTime: number;
}

/** A welcome_code handed out with an add-contact event. */
export interface WelcomeCode {
  relation: number;
  /** Epoch ms after which send_welcome_msg refuses it. */
  expiresAt: number;
  used: boolean;
}

/** A welcome message sent with send_welcome_msg; kept so tests can see what the customer got. */
export interface SentWelcome {
  welcomeCode: string;
  userid: string;
  externalUserid: string;
  text?: { content: string };
  attachments?: unknown[];
  /** Epoch ms. */
  at: number;
}

/** A mass message (企业群发) and its per-member, per-recipient delivery. */
export interface GroupMsg {
  msgid: string;
  chatType: 'single' | 'group';
  creator?: string;
  /** Seconds. */
  createTime: number;
  text?: { content: string };
  attachments?: unknown[];
  /** Members asked to send it, in order; status 0 not sent, 2 sent. */
  senders: Array<{ staff: number; status: 0 | 2; sendTime: number }>;
  /** One entry per recipient: the sending member, the customer or group index, status, send time. */
  targetStaff: Uint16Array;
  target: Int32Array;
  targetStatus: Uint8Array;
  targetTime: Uint32Array;
}

/** A customer handover (在职继承 / 离职继承). */
export interface Transfer {
  kind: 'onjob' | 'resigned';
  handover: number;
  takeover: number;
  customer: number;
  /** Epoch ms. */
  startedAt: number;
  /** 1 taken over, 2 waiting, 3 customer refused, 4 takeover member at the limit. */
  status: 1 | 2 | 3 | 4;
  /** Seconds; 0 until taken over. */
  takeoverTime: number;
}

/** Options of the sandbox state beyond the corp generator. */
export interface SandboxStateOptions extends FakeCorpOptions {
  /** Customer groups; default twice the staff. */
  groups?: number;
  /** How long a welcome_code can be used (WeCom: 20 s). */
  welcomeCodeTtlMs?: number;
  /** How long until a customer handover completes (WeCom: 24 h). */
  transferDelayMs?: number;
}

/** Everything the sandbox holds: the corp and what the API and callbacks have done to it. */
export class SandboxState {
  readonly corp: FakeCorp;
  readonly groups: GroupStore;
  readonly contactWays = new Map<string, ContactWay>();
  readonly welcomeCodes = new Map<string, WelcomeCode>();
  readonly welcomeMessages: SentWelcome[] = [];
  readonly groupMsgs = new Map<string, GroupMsg>();
  readonly transfers: Transfer[] = [];
  readonly welcomeCodeTtlMs: number;
  readonly transferDelayMs: number;
  private counter = 0;

  constructor(options: SandboxStateOptions) {
    this.corp = new FakeCorp(options);
    this.groups = new GroupStore(this.corp, options.groups ?? this.corp.staff.length * 2, options.brand?.groups);
    this.welcomeCodeTtlMs = options.welcomeCodeTtlMs ?? 20_000;
    this.transferDelayMs = options.transferDelayMs ?? 24 * 3600_000;
  }

  /** A fresh id-like string, deterministic for a seed and the order of calls. */
  newId(salt: number, length: number, hex = false): string {
    const n = this.counter++;
    return hex ? hashHex(this.corp.seed, salt, n, length) : hashChars(this.corp.seed, salt, n, length);
  }

  /** Hands out a welcome_code for a new follow relation, valid for welcomeCodeTtlMs. */
  issueWelcomeCode(relation: number): string {
    const code = this.newId(SALT.welcome, 43);
    this.welcomeCodes.set(code, { relation, expiresAt: this.corp.now() + this.welcomeCodeTtlMs, used: false });
    return code;
  }

  /** A member by userid that has not left, or WeCom's errcode. */
  activeStaff(userid: unknown, field = 'userid'): number {
    if (userid === undefined || userid === '') fail('USERID_MISSING', `${field} is required`);
    const s = this.corp.findStaff(userid);
    if (!s || s.resigned) fail('INVALID_USERID', `${field} ${String(userid)} is not a member of the corp`);
    return s.index;
  }

  /** A customer by external_userid, or WeCom's errcode. */
  customer(externalUserid: unknown): number {
    if (externalUserid === undefined || externalUserid === '') fail('EXTERNAL_USERID_MISSING', 'external_userid is required');
    return this.corp.findCustomer(externalUserid) ?? fail('INVALID_EXTERNAL_USERID', `no customer ${String(externalUserid)}`);
  }

  /** Completes handovers whose time has come (WeCom does it 24 h after the request). */
  settle(): void {
    const now = this.corp.now();
    for (const t of this.transfers) if (t.status === 2 && now >= t.startedAt + this.transferDelayMs) this.completeTransfer(t);
  }

  /** Completes a handover now: the takeover member follows the customer, the handover member no longer. */
  completeTransfer(t: Transfer): void {
    const corp = this.corp;
    const old = corp.relationBetween(t.handover, t.customer);
    const previous = old >= 0 ? corp.relation(old) : undefined;
    if (old >= 0) corp.removeRelation(old);
    if (corp.relationBetween(t.takeover, t.customer) < 0) {
      const r = corp.addRelation(t.customer, t.takeover, { addWay: 202, state: previous?.state, byCustomer: false });
      if (previous) corp.setRelationTags(r, corp.relationTags(old));
    }
    t.status = 1;
    t.takeoverTime = corp.nowSeconds();
  }

  /** Marks a mass message as sent by its members (all, or one): what a member confirming in WeCom does. */
  confirmGroupMsg(msgid: string, userid?: string): GroupMsg {
    const msg = this.groupMsgs.get(msgid) ?? fail('INVALID_MSGID', `no mass message ${msgid}`);
    const only = userid === undefined ? undefined : (this.corp.findStaff(userid)?.index ?? fail('INVALID_USERID', `no member ${userid}`));
    const nowS = this.corp.nowSeconds();
    for (const sender of msg.senders) {
      if ((only !== undefined && sender.staff !== only) || sender.status === 2) continue;
      sender.status = 2;
      sender.sendTime = nowS;
      for (let k = 0; k < msg.target.length; k++) {
        if (msg.targetStaff[k] !== sender.staff || msg.targetStatus[k] !== 0) continue;
        const reachable =
          msg.chatType === 'single' ? this.corp.relationBetween(sender.staff, msg.target[k]) >= 0 : !this.groups.groups[msg.target[k]].dismissed;
        msg.targetStatus[k] = reachable ? 1 : 2;
        msg.targetTime[k] = reachable ? nowS : 0;
      }
    }
    return msg;
  }
}
