/**
 * The messaging screens, loaded as one chunk the first time one of them is opened (App.tsx imports
 * this file lazily): templates, channels, guardrails, broadcasts and the consent ledger.
 */
import type { Route } from '../../router.tsx';
import { BroadcastDetailPage } from './BroadcastDetail.tsx';
import { BroadcastListPage } from './BroadcastList.tsx';
import { BroadcastNewPage } from './BroadcastNew.tsx';
import { ChannelsPage } from './Channels.tsx';
import { ConsentLedgerPage } from './ConsentLedger.tsx';
import { GuardrailsPage } from './Guardrails.tsx';
import { TemplateEditorPage } from './TemplateEditor.tsx';
import { TemplateListPage } from './TemplateList.tsx';

/** The routes of the messaging screens. */
export type MessagesRoute = Extract<
  Route,
  { name: 'templates' | 'template-new' | 'template' | 'channels' | 'guardrails' | 'broadcasts' | 'broadcast-new' | 'broadcast' | 'consent-ledger' }
>;

/** The screen of a messaging route. */
export default function MessagesScreen({ route }: { route: MessagesRoute }) {
  switch (route.name) {
    case 'templates':
      return <TemplateListPage />;
    case 'template-new':
      return <TemplateEditorPage key="new" />;
    case 'template':
      return <TemplateEditorPage key={route.id} id={route.id} />;
    case 'broadcasts':
      return <BroadcastListPage />;
    case 'broadcast-new':
      return <BroadcastNewPage />;
    case 'broadcast':
      return <BroadcastDetailPage key={route.id} id={route.id} />;
    case 'channels':
      return <ChannelsPage />;
    case 'guardrails':
      return <GuardrailsPage />;
    case 'consent-ledger':
      return <ConsentLedgerPage />;
  }
}
