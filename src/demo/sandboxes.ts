/**
 * The stand-ins for the outside world the demo brand needs: a WeCom corp it can shape (a real
 * corp cannot be told to have customers) and an SMS gateway. They are development tools
 * (wecom-sandbox/), which product code does not import: this is the port, and the CLI (`siyu
 * serve`, `siyu demo`) and the tests fill it with `createDemoSandboxes` from wecom-sandbox/demo.ts.
 * Without it the demo loads everything else and says that the WeCom data and the sent broadcasts
 * need it (docs/demo.md).
 */

/** A member (成员) of the brand's WeCom corp. */
export interface DemoCorpStaff {
  userid: string;
  name: string;
  /** Department ids of the sandbox (1 总部, 2 销售部, 3 客服部, 4 门店运营部). */
  department?: number[];
  position?: string;
  gender?: '1' | '2';
}

/** A customer (外部联系人) of the corp; its index in `customers` is how the rest names it. */
export interface DemoCorpCustomer {
  name: string;
  unionid?: string;
  gender?: 0 | 1 | 2;
}

/** A member following a customer since `createTime` (seconds), through the contact way with `state` when given. */
export interface DemoCorpRelation {
  customer: number;
  userid: string;
  createTime: number;
  addWay?: number;
  state?: string;
  remark?: string;
  /** Corp tag names (of `tagGroups`). */
  tags?: string[];
}

/** A customer group and its members (times in seconds). */
export interface DemoCorpGroup {
  name: string;
  owner: string;
  createTime: number;
  notice?: string;
  members: Array<{ userid: string; joinTime: number } | { customer: number; joinTime: number; joinScene?: 1 | 2 | 3 }>;
}

/** The brand's WeCom corp, described member by member. */
export interface DemoCorp {
  /** Same seed, same corp id and credentials. */
  seed: number;
  staff: DemoCorpStaff[];
  customers: DemoCorpCustomer[];
  relations: DemoCorpRelation[];
  groups: DemoCorpGroup[];
  tagGroups: Array<{ name: string; tags: string[] }>;
}

/** WeCom's callback for an event, sealed as WeCom POSTs it (query string and encrypted envelope). */
export interface SealedCallback {
  query: { msg_signature: string; timestamp: string; nonce: string };
  body: string;
}

/** A running WeCom sandbox holding the brand's corp. */
export interface DemoWeComSandbox {
  /** What the workspace's WeCom connection is set to (scrm's PUT /v1/wecom/connection body). */
  connection: { corpId: string; secret: string; callbackToken: string; encodingAesKey: string; agentId: string; apiBaseUrl: string };
  /** Members follow customers, as they came over the year (through contact ways: the `state` of a live code). */
  addRelations(relations: DemoCorpRelation[]): void;
  /** A customer scans a contact way: the corp gains the relation, and WeCom's callback about it comes back sealed. */
  scan(configId: string, customer: number): SealedCallback;
}

/** An account of the SMS gateway stand-in (the workspace's `sms` channel settings). */
export interface DemoSmsAccount {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
}

/** The SMS gateway stand-in: messages the `sms` channel sends reach it through the routed fetch. */
export interface DemoSmsGateway {
  account(name: string): DemoSmsAccount;
  /** Delivery receipts not yet taken, signed as the gateway POSTs them to /hooks/sms/:workspace/receipts, `perBatch` (default 1,000) a batch. */
  takeReceipts(accessKeyId: string, perBatch?: number): Array<{ timestamp: string; signature: string; body: string }>;
  /** The tracked links customers opened in delivered messages, not yet taken. */
  takeClicks(accessKeyId: string): string[];
  /** Keeps `report` off the account until the returned function is called (the demo takes its own receipts while it loads). */
  hold(accessKeyId: string): () => void;
}

/**
 * Where the stand-ins report on their own, as a real gateway and real customers would, later than
 * the demo's load (a broadcast held for quiet hours goes out in the morning): receipts to the
 * workspace's receipt hook, visits to tracked links.
 */
export interface DemoSandboxSinks {
  receipts(workspaceId: string, batch: { timestamp: string; signature: string; body: string }): Promise<unknown>;
  click(url: string): Promise<unknown>;
  error(err: unknown): void;
}

/** The stand-ins of a process. */
export interface DemoSandboxes {
  /** Starts reporting what the SMS gateway's accounts (named by workspace id) have not reported yet, every `everyMs` (default 2 s); stops on `close`. */
  report(sinks: DemoSandboxSinks, everyMs?: number): void;
  /** Starts a WeCom sandbox holding the corp (it runs until `close`). */
  openWeCom(corp: DemoCorp): Promise<DemoWeComSandbox>;
  sms: DemoSmsGateway;
  /** Answers a request addressed to a stand-in (the SMS gateway's host); undefined for any other: the root routes messaging's outbound fetch through it. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> | undefined;
  close(): Promise<void>;
}

/** Builds the stand-ins on the server's clock (the composition root calls it once). */
export type DemoSandboxFactory = (now: () => number) => DemoSandboxes;
