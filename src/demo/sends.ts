/**
 * Broadcasts the demo brand has already sent, with their results: the workspace's SMS channel set
 * to the SMS gateway stand-in, two broadcasts sent now through broadcasts (fan-out) and messaging
 * (the dispatcher, guardrails and consent included), the gateway's delivery receipts applied as its
 * webhook would, and the tracked links customers opened followed as a visit to them would. The
 * 8:00 coupon push to a store's morning regulars goes by SMS (delivered, failed, opened); the
 * winter drop's early-access notice to the KOCs who are WeCom contacts goes through their guide in
 * the WeCom sandbox.
 */
import { type BroadcastInput, broadcastStats, createBroadcast, runChunk, sendNow } from '../broadcasts/index.js';
import {
  applySmsReceipts,
  countMessageOutcomes,
  createChannels,
  createDispatcher,
  followTrackedLink,
  loadSettings,
  putChannelConfig,
  updateSettings,
} from '../messaging/index.js';
import { createSegment, recomputeSegment } from '../segments/index.js';
import { STORES } from './brand.js';
import type { DemoDeps } from './deps.js';
import type { DemoSandboxes, DemoSmsAccount } from './sandboxes.js';
import type { SetupProgress } from './setup.js';
import { inTurns, sideBySide } from './turns.js';

/** A sent broadcast and what became of its messages. */
export interface DemoSend {
  id: string;
  name: string;
  channel: string;
  segmentId: string;
  /** The audience outside the holdout (messages made). */
  messages: number;
  sent: number;
  delivered: number;
  failed: number;
  suppressed: number;
  held: number;
  opened: number;
  clicked: number;
}

/** The templates and segment the sends use, and whether there is a WeCom to send through. */
export interface SendsInput {
  morningSegmentId: string;
  storeCouponTemplateId: string;
  storeNoticeTemplateId: string;
  dropTemplateId: string;
  wecom: boolean;
}

/** How long the demo waits for its messages to leave (sent by itself or a running dispatcher). */
const DISPATCH_WAIT_MS = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The two audiences: a coffee store's morning regulars, and the toy flagship's KOCs who are WeCom contacts (a trait the WeCom sync writes). */
async function sendSegments(deps: DemoDeps, ws: string, morningSegmentId: string): Promise<{ store: string; koc: string }> {
  const [toyFlagship, store] = [STORES[0]!, STORES[1]!];
  const storeSeg = await createSegment(deps.segments, ws, {
    name: `早咖啡常客·${store.name.replace('思屿咖啡·', '')}`,
    description: `${store.name}的早咖啡常客（8:00 早安券推送的受众）`,
    rule: {
      type: 'and',
      rules: [
        { type: 'segment', segmentId: morningSegmentId },
        { type: 'trait', key: 'home_store', op: 'eq', value: store.id },
      ],
    },
  });
  const koc = await createSegment(deps.segments, ws, {
    name: `KOC 企微好友·${toyFlagship.name.replace('思屿咖啡·', '')}`,
    description: `${toyFlagship.name}已添加企业微信的潮玩 KOC（限定发售优先购提醒的受众）`,
    rule: {
      type: 'and',
      rules: [
        { type: 'tag', tags: [{ group: '社群', name: 'KOC' }], match: 'any' },
        // The WeCom sync writes wecom_contact_type, a callback (a new contact) wecom_type.
        {
          type: 'or',
          rules: [
            { type: 'trait', key: 'wecom_contact_type', op: 'exists' },
            { type: 'trait', key: 'wecom_type', op: 'exists' },
          ],
        },
        { type: 'trait', key: 'home_store', op: 'eq', value: toyFlagship.id },
      ],
    },
  });
  for (const id of [storeSeg.id, koc.id]) await recomputeSegment(deps.membership, ws, id, { lagMs: 0 });
  return { store: storeSeg.id, koc: koc.id };
}

/** Runs a broadcast's fan-out to its end (chunks another process's worker holds are waited for). */
async function fanOut(deps: DemoDeps, ws: string, id: string): Promise<void> {
  const deadline = Date.now() + DISPATCH_WAIT_MS;
  for (;;) {
    const r = await runChunk(deps.broadcasts, ws, id);
    if (r.state === 'done' || r.state === 'failed') return;
    if (r.state === 'progress') continue;
    const stats = await broadcastStats(deps.broadcasts, ws, id);
    if (stats.audience.done || stats.status === 'failed' || Date.now() > deadline) return;
    await sleep(50);
  }
}

/** Dispatches until none of the broadcasts' messages waits to be sent (held ones wait for their hour). */
async function dispatch(deps: DemoDeps, ws: string, ids: string[]): Promise<void> {
  // Dispatchers claim different rows (SKIP LOCKED on PostgreSQL).
  const channels = createChannels();
  await Promise.all(Array.from({ length: sideBySide(deps.messaging.database) }, () => dispatchOne(deps, ws, ids, channels)));
}

async function dispatchOne(deps: DemoDeps, ws: string, ids: string[], channels: ReturnType<typeof createChannels>): Promise<void> {
  const dispatcher = createDispatcher(deps.messaging, channels, { batchSize: 25 });
  const deadline = Date.now() + DISPATCH_WAIT_MS;
  for (;;) {
    const pass = await dispatcher.runOnce();
    if (pass.claimed > 0) continue;
    let waiting = 0;
    for (const id of ids)
      for (const c of await countMessageOutcomes(deps.messaging.database.db, ws, { kind: 'broadcast', id, step: null }))
        if (c.status === 'queued' || c.status === 'sending') waiting += c.count;
    if (waiting === 0 || Date.now() > deadline) return;
    await sleep(50);
  }
}

/** What the demo sends: the store's 8:00 coupon and service notice by SMS, and the drop notice to its KOCs in WeCom when there is a WeCom. */
function broadcastsToSend(ctx: SendsInput, segments: { store: string; koc: string }): BroadcastInput[] {
  // No holdout: it is drawn by hashing profile ids, which differ between loads, and the results
  // must be the same for the same seed (the scheduled 8:00 push keeps its 10% holdout).
  return [
    {
      name: '早安咖啡券 8:00 · 陆家嘴店',
      description: 'The Luckin case: the store’s morning regulars get the 8:00 coupon by SMS, with a link to claim it',
      channel: 'sms',
      templateId: ctx.storeCouponTemplateId,
      segmentId: segments.store,
      holdoutPercent: 0,
      goalEvent: 'Order Completed',
      goalDays: 1,
    },
    {
      name: '门店营业调整通知 · 陆家嘴店',
      description: 'A service notice (no quiet hours, no marketing opt-in needed): the store closes for maintenance on Saturday morning',
      channel: 'sms',
      purpose: 'service',
      templateId: ctx.storeNoticeTemplateId,
      segmentId: segments.store,
      holdoutPercent: 0,
      goalEvent: 'Order Completed',
      goalDays: 7,
    },
    ...(ctx.wecom
      ? [
          {
            name: '冬季限定隐藏款 · 静安寺店 KOC 优先购',
            description: 'The Pop Mart case: KOCs hear of the limited drop first, from their guide in WeCom',
            channel: 'wecom',
            templateId: ctx.dropTemplateId,
            segmentId: segments.koc,
            holdoutPercent: 0,
            goalEvent: 'Order Completed',
            goalDays: 7,
          },
        ]
      : []),
  ];
}

/** Sends the demo's broadcasts and collects their results, with the segments made for them; nothing when this process has no SMS gateway stand-in. */
export async function setupSends(deps: DemoDeps, ws: string, ctx: SendsInput, progress: SetupProgress): Promise<{ sends: DemoSend[]; segmentIds: string[] }> {
  const sandboxes = deps.sandboxes;
  if (!sandboxes) return { sends: [], segmentIds: [] };
  progress('sends', 0, 4);
  const sms = sandboxes.sms;
  const account = sms.account(ws);
  // The stand-in's own reporting (siyu serve) stays off this account while the demo takes its receipts.
  const release = sms.hold(account.accessKeyId);
  try {
    return await sendAndCollect({ ...deps, sandboxes }, ws, ctx, account, progress);
  } finally {
    release();
  }
}

/** Configures the channel, sends, dispatches, applies the receipts and opens, and reads the results. */
async function sendAndCollect(
  deps: DemoDeps & { sandboxes: DemoSandboxes },
  ws: string,
  ctx: SendsInput,
  account: DemoSmsAccount,
  progress: SetupProgress,
): Promise<{ sends: DemoSend[]; segmentIds: string[] }> {
  const sms = deps.sandboxes.sms;
  await putChannelConfig(deps.messaging, ws, 'sms', {
    endpoint: account.endpoint,
    accessKeyId: account.accessKeyId,
    signName: account.signName,
    accessKeySecret: account.accessKeySecret,
  });
  // Tracked links need this server's public address; a workspace that has one keeps it.
  if (!(await loadSettings(deps.messaging, ws)).linkBaseUrl) await updateSettings(deps.messaging, ws, { linkBaseUrl: deps.publicUrl });
  const segments = await sendSegments(deps, ws, ctx.morningSegmentId);

  const wanted = broadcastsToSend(ctx, segments);
  const ids: string[] = [];
  for (const b of wanted) ids.push((await sendNow(deps.broadcasts, ws, (await createBroadcast(deps.broadcasts, ws, b)).id)).id);
  progress('sends', 1, 4);
  for (const id of ids) await fanOut(deps, ws, id);
  progress('sends', 2, 4);
  await dispatch(deps, ws, ids);
  progress('sends', 3, 4);
  const n = sideBySide(deps.messaging.database);
  await inTurns(sms.takeReceipts(account.accessKeyId, 100), n, (r) =>
    applySmsReceipts(deps.messaging, ws, { timestamp: r.timestamp, signature: r.signature }, r.body),
  );
  await inTurns(sms.takeClicks(account.accessKeyId), n, (url) => followTrackedLink(deps.messaging, url));
  progress('sends', 4, 4);

  const out: DemoSend[] = [];
  for (const [i, id] of ids.entries()) {
    const s = await broadcastStats(deps.broadcasts, ws, id);
    const m = s.messages;
    out.push({
      id,
      name: wanted[i]!.name!,
      channel: wanted[i]!.channel!,
      segmentId: wanted[i]!.segmentId!,
      messages: m.total,
      sent: m.sent,
      delivered: m.delivered,
      failed: m.failed,
      suppressed: m.suppressed,
      held: m.held,
      opened: m.opened,
      clicked: m.clicked,
    });
  }
  return { sends: out, segmentIds: [segments.store, segments.koc] };
}
