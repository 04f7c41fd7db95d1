/** Events of the SCRM module (see platform/hub.ts). */
export interface ScrmHubEvents {
  /** A WeCom callback was stored in the inbox: the inbox worker should run soon. */
  'scrm.inbox-has-work': { workspaceId: string };
}

/** The name of the event the callback route emits after queuing a new callback; the inbox worker hears it. */
export const SCRM_INBOX_HAS_WORK = 'scrm.inbox-has-work' satisfies keyof ScrmHubEvents;
