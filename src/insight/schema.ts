/** The insight module's tables (none yet: each feature adds its own here). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface InsightDB {}

// This module's tables in the whole-database type (see platform/db/schema.ts).
declare module '../platform/db/schema.js' {
  interface DB extends InsightDB {}
}
