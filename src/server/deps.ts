/**
 * Each module's deps from the process state. `database` is the requests' database by default;
 * the workers pass `s.workerDatabase` (see workers.ts), whose time limits suit background work.
 */
import type { BroadcastsDeps } from '../broadcasts/index.js';
import type { PrivacyCorrectDeps, PrivacyEraseDeps } from '../compliance/index.js';
import {
  cdpCiphertextStores,
  cdpPersonalData,
  correctIdentifiers,
  patchTraits,
  personProfileIds,
  profileDepsOf,
  resolveProfileRef,
  reviveErasedIdentifier,
} from '../cdp/index.js';
import { createSurveyLinkSigner, type InsightDeps, insightPersonalData, messageSurveyUrl } from '../insight/index.js';
import type { DemoDeps } from '../demo/index.js';
import type { JourneyDeps } from '../journeys/index.js';
import { awardPointsWith, couponTemplateProblemWith, issueCouponWith, type LoyaltyDeps, loyaltyPersonalData, tierDaysPortOf } from '../loyalty/index.js';
import { isChannelConfigured, type MessagingDeps, messagingCiphertextStores, messagingPersonalData, queueTestSends } from '../messaging/index.js';
import { createPiiCipher, createTokenSigner } from '../platform/crypto.js';
import type { RotationDeps } from '../platform/key-rotation.js';
import { getWorkspace } from '../platform/workspaces.js';
import type { Database } from '../platform/db/database.js';
import {
  activeGroupChatIds,
  createFollowUpTask,
  followingStaff,
  groupOwner,
  hasWeComConnection,
  scrmCiphertextStores,
  scrmPersonalData,
} from '../scrm/index.js';
import { segmentsPersonalData } from '../segments/index.js';
import type { Services } from './services.js';

/** The live profile id a reference names (cdp), for modules that take it as a port. */
function profileResolver(s: Services): (workspaceId: string, ref: string) => Promise<string> {
  const profiles = profileDepsOf(s.cdp);
  return (ws, ref) => resolveProfileRef(profiles, ws, ref);
}

/** The journey engine's deps. */
export function journeyDepsOf(s: Services, database: Database = s.database): JourneyDeps {
  return {
    database,
    now: () => s.clock.now(),
    log: s.log,
    defaultTimeZone: s.config.defaultTimezone,
    hub: s.hub,
    activeGroupChatIds,
    // Award steps give points and issue coupons through loyalty, in the step's transaction.
    loyalty: {
      awardPoints: awardPointsWith(database.dialect),
      issueCoupon: issueCouponWith(database.dialect, s.config.defaultTimezone),
      couponTemplateProblem: couponTemplateProblemWith(database.dialect),
    },
    // The WeCom channels send through the SCRM connection; the others need their own configuration.
    // Read through the caller's transaction: on SQLite another handle would wait on it.
    channelConfigured: (db, ws, channel) =>
      channel === 'wecom' || channel === 'wecom_group' ? hasWeComConnection(db, ws) : isChannelConfigured(db, ws, channel),
  };
}

/** The messaging module's deps (WeCom clients from the SCRM connections; outbound HTTP guarded). */
export function messagingDeps(s: Services, over: Partial<MessagingDeps> = {}): MessagingDeps {
  const surveyLinks = createSurveyLinkSigner(s.config.encryptionKey);
  return {
    database: s.database,
    cipher: s.cipher,
    links: s.links,
    now: () => s.clock.now(),
    log: s.log,
    hub: s.hub,
    keys: s.keys,
    defaultTimeZone: s.config.defaultTimezone,
    defaultPhoneRegion: s.config.defaultPhoneRegion,
    fetch: s.outboundFetch,
    outboundAllow: s.outboundAllow,
    wecomClientFor: (ws) => s.scrm.connections.clientFor(ws),
    resolveProfile: profileResolver(s),
    reviveErased: (ws, ref) => reviveErasedIdentifier({ ...profileDepsOf(s.cdp), writer: s.writer }, ws, ref),
    wecomGroupOwner: groupOwner,
    wecomFollower: followingStaff,
    // Templates' `survey_url` filter signs insight's survey links (messaging may not import insight).
    surveyUrl: (base, req) => messageSurveyUrl(surveyLinks, base, req),
    ...over,
  };
}

/** The broadcasts module's deps. */
export function broadcastsDeps(s: Services, database: Database = s.database): BroadcastsDeps {
  return {
    database,
    now: () => s.clock.now(),
    log: s.log,
    hub: s.hub,
    keys: s.keys,
    resolveProfile: profileResolver(s),
    queueTestSends: (input) => queueTestSends(messagingDeps(s, { database }), input),
  };
}

/** The insight module's deps (its reads of other modules go through their published functions). */
export function insightDeps(s: Services, database: Database = s.database): InsightDeps {
  return {
    database,
    now: () => s.clock.now(),
    log: s.log,
    hub: s.hub,
    keys: s.keys,
    timeZoneOf: s.timeZoneOf,
    resolveProfile: profileResolver(s),
    // Surveys: links signed under a key derived from the master key; a detractor's task through scrm's guide tasks.
    surveys: { signer: createSurveyLinkSigner(s.config.encryptionKey), resolveProfile: profileResolver(s), followUpTask: createFollowUpTask },
  };
}

/** The loyalty module's deps. */
export function loyaltyDeps(s: Services, database: Database = s.database): LoyaltyDeps {
  return {
    database,
    now: () => s.clock.now(),
    log: s.log,
    keys: s.keys,
    resolveProfile: profileResolver(s),
    defaultTimeZone: s.config.defaultTimezone,
    claimTokens: createTokenSigner(s.config.encryptionKey, 'siyu:loyalty:coupon-claims'),
    memberTokens: (ws) => createTokenSigner(s.config.encryptionKey, `siyu:loyalty:member-tokens:${ws}`),
    timeZoneOf: s.timeZoneOf,
    hub: s.hub,
    // Referral rewards in tier days, given by the tiers (loyalty's own tiers.days.ts).
    tierDays: tierDaysPortOf(database.dialect),
  };
}

/** This server's public address: SIYU_PUBLIC_URL, else where it listens (as the first run prints the console's). */
function publicUrlOf(s: Services): string {
  const host = s.config.host === '0.0.0.0' || s.config.host === '::' ? 'localhost' : s.config.host;
  return (s.config.publicUrl ?? `http://${host}:${s.config.port}`).replace(/\/$/, '');
}

/** The demo module's deps: the owning modules' deps, which it writes through, and the stand-ins when the process has them. */
export function demoDeps(s: Services): DemoDeps {
  return {
    now: () => s.clock.now(),
    keys: s.keys,
    cdp: s.cdp,
    segments: s.segments,
    membership: s.membership,
    messaging: messagingDeps(s),
    journeys: journeyDepsOf(s),
    broadcasts: broadcastsDeps(s),
    loyalty: loyaltyDeps(s),
    scrm: s.scrm,
    sandboxes: s.demoSandboxes,
    publicUrl: publicUrlOf(s),
  };
}

/** Dates a workspace lists as holidays (`settings.holidays`, YYYY-MM-DD): not working days for request deadlines. */
async function holidaysOf(s: Services, ws: string): Promise<string[]> {
  const listed = ((await getWorkspace(s.database.db, ws))?.settings as { holidays?: unknown } | undefined)?.holidays;
  return Array.isArray(listed) ? listed.filter((d): d is string => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d)) : [];
}

/** The compliance module's data-subject request deps: cdp's profile references and each module's personal-data port. */
export function privacyDeps(s: Services): PrivacyEraseDeps & PrivacyCorrectDeps {
  const { database, cipher } = s;
  return {
    database,
    now: () => s.clock.now(),
    timeZoneOf: s.timeZoneOf,
    holidaysOf: (ws) => holidaysOf(s, ws),
    resolveProfile: profileResolver(s),
    personProfileIds: (ws, id) => personProfileIds(database, ws, id),
    // An erased request's subject is kept as the PII cipher's keyed hash, never in clear.
    // Not per workspace (the port names none): the key derived from the server key, as before envelope encryption.
    hashSubject: (subject) => createPiiCipher(s.config.encryptionKey).lookupKey('privacy_subject', subject),
    // Corrections go through cdp's own trait writer (last write wins by time, the profile locked).
    correctTraits: async (ws, id, change) => void (await patchTraits(profileDepsOf(s.cdp), ws, id, change)),
    correctIdentifiers: async (ws, live, changes) => correctIdentifiers(profileDepsOf(s.cdp), ws, await personProfileIds(database, ws, live), changes),
    // Every module that holds data about a person, in the archive's order (an erasure runs cdp's step last).
    sources: [
      cdpPersonalData({ database, cipher }),
      messagingPersonalData({ database }),
      scrmPersonalData({ database }),
      segmentsPersonalData({ database }),
      loyaltyPersonalData({ database }),
      insightPersonalData({ database }),
    ],
  };
}

/** Key rotation (#19): every module's ciphertext stores, in one list; each rewrites only its own tables. */
export function keyRotationDeps(s: Services, database: Database = s.database): RotationDeps {
  return {
    database,
    keyring: s.cipher,
    masterKey: s.config.encryptionKey,
    now: () => s.clock.now(),
    graceMs: s.config.keyRotationGraceMs,
    stores: [...cdpCiphertextStores(database), ...messagingCiphertextStores(database), ...scrmCiphertextStores(database)],
  };
}
