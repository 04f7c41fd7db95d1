/**
 * The export of everything held about one person (issue #19): a ZIP streamed as it is read, with
 * `person.json` (every module's kinds, as JSON), one CSV per kind (`<module>/<kind>.csv`) and
 * `summary.json` (rows per kind). Each module reads its own tables through its personal-data
 * source (platform/personal-data.ts), wired by the composition root; this file only assembles.
 */
import type { PersonalDataKind, PersonalDataSource, PersonalRow } from '../platform/personal-data.js';
import { csvField } from './audit.service.js';
import { ComplianceError } from './errors.js';
import { closePrivacyRequest, getPrivacyRequest, type PrivacyDeps, type PrivacyRequest, subjectProfile } from './privacy.service.js';
import { type ZipEntry, zipStream } from './zip.js';

/** What an export needs besides the request record: every module's source and cdp's person (live profile plus merged ones). */
export interface PrivacyExportDeps extends PrivacyDeps {
  sources: readonly PersonalDataSource[];
  /** The profile ids of the person whose live profile is given (it and every profile merged into it). */
  personProfileIds: (workspaceId: string, liveId: string) => Promise<string[]>;
}

/** The person a request is about now: the live profile of the subject (merges since receipt followed), or null when nobody is held. */
async function personOf(deps: PrivacyExportDeps, ws: string, r: PrivacyRequest): Promise<{ liveId: string; ids: string[] } | null> {
  const liveId = r.profileId
    ? ((await subjectProfile(deps, ws, r.profileId)) ?? (await subjectProfile(deps, ws, r.subject)))
    : await subjectProfile(deps, ws, r.subject);
  return liveId ? { liveId, ids: await deps.personProfileIds(ws, liveId) } : null;
}

async function* personJson(meta: object, modules: { module: string; kinds: PersonalDataKind[] }[]): AsyncGenerator<string> {
  const head = JSON.stringify(meta, null, 2);
  yield head.slice(0, -2) + ',\n  "modules": {';
  let firstModule = true;
  for (const m of modules) {
    yield `${firstModule ? '' : ','}\n    ${JSON.stringify(m.module)}: {`;
    firstModule = false;
    let firstKind = true;
    for (const k of m.kinds) {
      yield `${firstKind ? '' : ','}\n      ${JSON.stringify(k.kind)}: [`;
      firstKind = false;
      let firstRow = true;
      for await (const row of k.rows()) {
        yield `${firstRow ? '' : ','}\n        ${JSON.stringify(row)}`;
        firstRow = false;
      }
      yield firstRow ? ']' : '\n      ]';
    }
    yield firstKind ? '}' : '\n    }';
  }
  yield '\n  }\n}\n';
}

const cell = (v: unknown) => csvField(v !== null && typeof v === 'object' ? JSON.stringify(v) : v);

/** A kind as CSV: the first row's keys as the header (one query's rows share them), counting the rows. */
async function* kindCsv(kind: PersonalDataKind, count: (n: number) => void): AsyncGenerator<string> {
  let columns: string[] | undefined;
  let n = 0;
  let chunk = '';
  for await (const row of kind.rows()) {
    if (!columns) {
      columns = Object.keys(row);
      chunk += columns.join(',') + '\n';
    }
    chunk += columns.map((c) => cell((row as PersonalRow)[c])).join(',') + '\n';
    n += 1;
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (!columns) chunk = '(none)\n';
  yield chunk;
  count(n);
}

/**
 * The archive of an export request, streamed. The request moves to `in_progress` as it starts and
 * to `completed` once the last byte is read, with the rows of each kind as its completion record
 * (an export read again later is recorded by the audit log only). PRIVACY_REQUEST_STATE for a
 * request that is not an export or was rejected.
 */
export async function exportArchive(deps: PrivacyExportDeps, ws: string, id: string): Promise<{ request: PrivacyRequest; bytes: AsyncGenerator<Buffer> }> {
  const request = await getPrivacyRequest(deps, ws, id);
  if (request.kind !== 'export' || request.status === 'rejected')
    throw new ComplianceError(
      'PRIVACY_REQUEST_STATE',
      `request ${id} is ${request.status === 'rejected' ? 'rejected' : `an ${request.kind}`}: it has no archive`,
    );
  const person = await personOf(deps, ws, request);
  const modules = person ? await Promise.all(deps.sources.map(async (s) => ({ module: s.module, kinds: await s.read(ws, person.ids) }))) : [];
  if (request.status === 'received') await closePrivacyRequest(deps, ws, id, { status: 'in_progress' });
  const counts: Record<string, number> = {};
  const generatedAt = new Date(deps.now()).toISOString();
  const meta = {
    request: { id, subject: request.subject, receivedAt: request.receivedAt },
    generatedAt,
    profileId: person?.liveId ?? null,
    profileIds: person?.ids ?? [],
  };
  async function* entries(): AsyncGenerator<ZipEntry> {
    yield { name: 'person.json', data: personJson(meta, modules) };
    for (const m of modules)
      for (const k of m.kinds) yield { name: `${m.module}/${k.kind}.csv`, data: kindCsv(k, (n) => (counts[`${m.module}/${k.kind}`] = n)) };
    yield {
      name: 'summary.json',
      data: (async function* () {
        yield JSON.stringify({ ...meta, rows: counts }, null, 2) + '\n';
      })(),
    };
  }
  async function* bytes(): AsyncGenerator<Buffer> {
    yield* zipStream(entries(), deps.now());
    if (request.status !== 'completed')
      await closePrivacyRequest(deps, ws, id, {
        status: 'completed',
        completion: { exported: { at: generatedAt, profileIds: meta.profileIds, rows: counts } },
      });
  }
  return { request, bytes: bytes() };
}
