/**
 * Correction of a person's identifiers (issue #19, data-subject requests): identifiers removed from
 * the person's profiles and added to their live profile, in one transaction. An identifier another
 * profile holds is not taken from it, and a type's limit per profile is kept (remove the old phone in
 * the same correction to add the right one): both are answered as problems and nothing is changed.
 * A removed identifier is not tombstoned (it was wrong, not erased: it may be somebody else's); an
 * added one that was erased has its tombstone lifted (the person asked for it).
 */
import { maskPii } from '../platform/crypto.js';
import { CdpError } from './errors.js';
import { normaliseIdentifier, parseIdentifierRef, storedKey } from './identifiers.js';
import type { ProfileDeps } from './profiles.service.js';
import type { PiiCipher } from '../platform/crypto.js';
import type { Kysely } from 'kysely';
import { type CdpDB, cdpDb } from './schema.js';

/** One change of a correction, as the request states it. */
export interface IdentifierChange {
  type: string;
  value: string;
  action: 'add' | 'remove';
}

/** What a correction did (values masked), or why it could not. */
export type IdentifierCorrection =
  { ok: true; added: { type: string; value: string }[]; removed: { type: string; value: string }[] } | { ok: false; problem: string };

/** Applies `changes` to the person (`profileIds`: the live profile first, then those merged into it). */
export async function correctIdentifiers(deps: ProfileDeps, ws: string, profileIds: string[], changes: IdentifierChange[]): Promise<IdentifierCorrection> {
  const rules = await deps.rulesFor(ws);
  const cipher = await deps.cipher.forWorkspace(ws);
  const parsed = changes.map((c) => {
    const ref = parseIdentifierRef(`${c.type}:${c.value}`, rules);
    const value = ref && normaliseIdentifier(ref.type, ref.rawValue, deps.defaultRegion);
    if (!ref || value === undefined) throw new CdpError('IDENTIFIER_INVALID', `"${c.type}:${c.value}" is not a usable identifier of a known type`);
    return { ...c, type: ref.type, value, key: storedKey(rules, cipher, ref.type, value), pii: !!rules.rule(ref.type)?.pii };
  });
  const now = deps.now();
  try {
    return await deps.database.db
      .transaction()
      .execute((handle) => apply(cdpDb(handle as unknown as Kysely<CdpDB>), { deps, ws, profileIds, parsed, now, rules, cipher }));
  } catch (err) {
    if (err instanceof Refused) return { ok: false, problem: err.message };
    throw err;
  }
}

/** Thrown inside the transaction so that nothing of a refused correction stays. */
class Refused extends Error {}

type Parsed = IdentifierChange & { key: string; pii: boolean };
type Ctx = {
  deps: ProfileDeps;
  ws: string;
  profileIds: string[];
  parsed: Parsed[];
  now: number;
  rules: Awaited<ReturnType<ProfileDeps['rulesFor']>>;
  cipher: PiiCipher;
};

async function apply(trx: Kysely<CdpDB>, { ws, profileIds, parsed, now, rules, cipher }: Ctx): Promise<IdentifierCorrection> {
  const removed: { type: string; value: string }[] = [];
  for (const c of parsed.filter((x) => x.action === 'remove')) {
    const res = await trx
      .deleteFrom('identities')
      .where('workspace_id', '=', ws)
      .where('id_type', '=', c.type)
      .where('id_key', '=', c.key)
      .where('profile_id', 'in', profileIds)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) > 0) removed.push({ type: c.type, value: maskPii(c.value) });
  }
  const added: { type: string; value: string }[] = [];
  for (const c of parsed.filter((x) => x.action === 'add')) {
    const owner = await trx
      .selectFrom('identities')
      .select('profile_id')
      .where('workspace_id', '=', ws)
      .where('id_type', '=', c.type)
      .where('id_key', '=', c.key)
      .executeTakeFirst();
    if (owner && profileIds.includes(owner.profile_id)) continue;
    if (owner) throw new Refused(`${c.type} ${maskPii(c.value)} is held by another profile: merge or correct that one first`);
    const held = await trx
      .selectFrom('identities')
      .select('id_key')
      .where('workspace_id', '=', ws)
      .where('id_type', '=', c.type)
      .where('profile_id', 'in', profileIds)
      .execute();
    const limit = rules.rule(c.type)?.maxPerProfile ?? 1;
    if (held.length >= limit) throw new Refused(`a profile may hold at most ${limit} ${c.type}: remove the old one in the same correction`);
    await trx
      .insertInto('identities')
      .values({
        workspace_id: ws,
        id_type: c.type,
        id_key: c.key,
        profile_id: profileIds[0]!,
        value_enc: c.pii ? cipher.encrypt(c.value) : null,
        first_seen_at: now,
        source_message_id: null,
      })
      .execute();
    await trx.deleteFrom('identity_tombstones').where('workspace_id', '=', ws).where('key', '=', cipher.lookupKey(c.type, c.value)).execute();
    added.push({ type: c.type, value: maskPii(c.value) });
  }
  return { ok: true, added, removed };
}
