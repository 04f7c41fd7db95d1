/** Events of the loyalty module (see platform/hub.ts). None yet: what must survive is a ledger row, and the timeline events are rows too. */
export type LoyaltyHubEvents = Record<never, never>;
