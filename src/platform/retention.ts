/**
 * The retention port (issue #19, retention policies): each module that keeps a kind of data for a
 * limited time publishes a {@link RetentionPurger} per kind from its index.ts, purging only its own
 * tables; the composition root hands them to the compliance module, whose scheduled job reads each
 * workspace's policy, computes the cutoff and calls the purgers batch by batch. Compliance never
 * names another module's table.
 */

/** The kinds of data a workspace sets a retention period for. */
export const RETENTION_KINDS = ['events', 'messageBodies', 'conversationArchive', 'deliveryLogs', 'privacyRequests', 'auditLog'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** What one batch did. */
export interface PurgeBatch {
  /** Rows deleted, or blanked (message bodies), by this batch. */
  rows: number;
  /** True when nothing older than the cutoff is left to purge (the batch found fewer rows than its limit). */
  done: boolean;
}

/** How one module purges one kind. */
export interface RetentionPurger {
  kind: RetentionKind;
  /** The module that owns the tables (`cdp`, `messaging`, `compliance`). */
  module: string;
  /**
   * Purges at most `limit` rows of workspace `workspaceId` older than `cutoffMs` in one short
   * transaction and commits. Idempotent: rows already purged are not found again, so a run stopped
   * anywhere resumes where it was by calling it again.
   */
  purgeBatch(workspaceId: string, cutoffMs: number, limit: number): Promise<PurgeBatch>;
}
