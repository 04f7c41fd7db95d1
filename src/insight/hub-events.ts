/** Events of the insight module (see platform/hub.ts). None yet: insight reads what the other modules stored. */
export type InsightHubEvents = Record<never, never>;
