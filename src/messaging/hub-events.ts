/** Events addressed to the messaging module by the modules that write to its outbox (see platform/hub.ts). */
export interface MessagingHubEvents {
  /** Messages were committed to the outbox (or became due): the dispatcher should run soon. */
  'messaging.outbox-has-work': { workspaceId: string };
}
