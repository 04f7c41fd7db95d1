/** Events of the segments module (see platform/hub.ts). */
export interface SegmentsHubEvents {
  /** Members entered or left segments of the workspace (after the commit). */
  'segments.membership-changed': { workspaceId: string };
  /** A recompute was requested (a segment or model was created or changed): the segment worker should run soon. */
  'segments.recompute-requested': { workspaceId: string };
}
