/** The segments domain's public surface: rules, membership, models (RFM, lifecycle, community roles). */
export { segmentMigrations } from './migrations.js';
export { SegmentError } from './errors.js';
export type { SegmentsHubEvents } from './hub-events.js';
