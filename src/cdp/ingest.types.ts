import type { Dialect } from '../platform/db/database.js';
import type { PiiKeyring } from '../platform/keys.js';
import type { RuleBook } from './identifiers.js';

/** What applying events needs: the engine, rules, and the PII cipher. */
export interface IngestDeps {
  dialect: Dialect;
  cipher: PiiKeyring;
  now: () => number;
}

/** Per-workspace settings the ingest path uses. */
export interface WorkspaceIngestSettings {
  rules: RuleBook;
  currency: string;
  /** IANA time zone of the workspace (dates in rules, quiet hours, birthdays). */
  timeZone: string;
}

/** The outcome of applying one batch of events. */
export interface IngestOutcome {
  stored: number;
  duplicates: number;
  /** Events dropped because they name an erased (tombstoned) identifier; absent when none. */
  erased?: number;
  /** message id -> live profile id, for the events stored by this call. */
  profileOf: Map<string, string>;
}

/**
 * Raised when another process wrote the same events or merged the same profiles between our
 * read and our write; the transaction is rolled back and retried.
 */
export class ConcurrentWriteError extends Error {
  readonly code = 'SIYU_CONCURRENT_WRITE';
  constructor(what: string) {
    super(`concurrent write detected: ${what}`);
  }
}
