/** The messaging area (a chunk of its own): templates, channels, guardrails, broadcasts and the consent ledger. */
export { BroadcastDetailPage } from '../pages/messages/BroadcastDetail.tsx';
export { BroadcastListPage } from '../pages/messages/BroadcastList.tsx';
export { BroadcastNewPage } from '../pages/messages/BroadcastNew.tsx';
export { ChannelsPage } from '../pages/messages/Channels.tsx';
export { ConsentLedgerPage } from '../pages/messages/ConsentLedger.tsx';
export { GuardrailsPage } from '../pages/messages/Guardrails.tsx';
export { TemplateEditorPage } from '../pages/messages/TemplateEditor.tsx';
export { TemplateListPage } from '../pages/messages/TemplateList.tsx';
