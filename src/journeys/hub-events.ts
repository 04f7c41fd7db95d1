/** Events of the journeys module (see platform/hub.ts). */
export interface JourneysHubEvents {
  /** Profiles entered a journey outside the worker (the API): the executor should run soon. */
  'journeys.entered': { workspaceId: string };
}
