/** Events of the broadcasts module (see platform/hub.ts). */
export interface BroadcastsHubEvents {
  /** A broadcast was scheduled or sent now: the broadcast worker should run soon. */
  'broadcasts.due': { workspaceId: string };
}
