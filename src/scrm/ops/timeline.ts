import { normaliseMessage, type TrackedEvent, type WorkspaceIngestSettings } from '../../cdp/index.js';

/** The One ID identifier type of a corp's external contacts. */
export function externalIdType(corpId: string): string {
  return `external_userid:${corpId}`;
}

/**
 * A track event on a customer's timeline, identified by their `external_userid:<corpid>`
 * identifier (the one the SCRM foundation resolved the customer with), through the CDP's own
 * normalisation so it is stored like any tracked event.
 */
export function customerEvent(
  settings: WorkspaceIngestSettings,
  e: { corpId: string; externalUserid: string; messageId: string; event: string; timestamp: number; receivedAt: number; properties: Record<string, unknown> },
): TrackedEvent {
  return normaliseMessage(
    {
      type: 'track',
      event: e.event,
      messageId: e.messageId,
      timestamp: new Date(e.timestamp).toISOString(),
      properties: e.properties,
      context: { externalIds: [{ type: externalIdType(e.corpId), id: e.externalUserid }] },
    },
    e.messageId,
    { receivedAt: e.receivedAt, rules: settings.rules, defaultRegion: 'CN', currency: settings.currency },
    { traitIdentifiersSuffice: true },
  );
}
