/** Events of the SCRM module (see platform/hub.ts). */
export interface ScrmHubEvents {
  /** A WeCom callback was stored in the inbox: the inbox worker should run soon. */
  'scrm.inbox-has-work': { workspaceId: string };
}
