/**
 * The SCRM (企业微信) area of the console, loaded as its own chunk the first time an SCRM screen is
 * opened: the screen of a path below `scrm/`, and the menu entry each path belongs to.
 */
import { Button, Result } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../../i18n.ts';
import { navigate } from '../../router.tsx';
import { AlertsPage } from './Alerts.tsx';
import { ArchivePage } from './Archive.tsx';
import { ConnectionPage } from './Connection.tsx';
import { ContactsPage } from './Contacts.tsx';
import { GroupCodesPage } from './GroupCodes.tsx';
import { GroupDetailPage, GroupsPage } from './Groups.tsx';
import { HandoversPage } from './Handovers.tsx';
import { LiveCodeDetailPage } from './LiveCodeDetail.tsx';
import { LiveCodeEditorPage } from './LiveCodeEditor.tsx';
import { LiveCodesPage } from './LiveCodes.tsx';
import { SopEditorPage, SopsPage } from './Sops.tsx';
import { StaffPage } from './Staff.tsx';
import { TaskBoardPage } from './TaskBoard.tsx';

/** The screen of `scrm/<sub...>`. */
function screenOf(sub: string[]): ReactNode | undefined {
  const [area = 'live-codes', id, action] = sub;
  switch (area) {
    case 'connection':
      return <ConnectionPage />;
    case 'staff':
      return <StaffPage />;
    case 'contacts':
      return <ContactsPage />;
    case 'live-codes':
      if (!id) return <LiveCodesPage />;
      if (id === 'new') return <LiveCodeEditorPage key="new" />;
      if (action === 'edit') return <LiveCodeEditorPage key={`edit-${id}`} id={id} />;
      return action ? undefined : <LiveCodeDetailPage key={id} id={id} />;
    case 'groups':
      return id ? <GroupDetailPage key={id} chatId={id} /> : <GroupsPage />;
    case 'group-codes':
      return <GroupCodesPage />;
    case 'sops':
      if (!id) return <SopsPage />;
      return id === 'new' ? <SopEditorPage key="new" /> : <SopEditorPage key={id} id={id} />;
    case 'tasks':
      return <TaskBoardPage />;
    case 'handovers':
      return <HandoversPage />;
    case 'alerts':
      return <AlertsPage />;
    case 'archive':
      return <ArchivePage />;
    default:
      return undefined;
  }
}

/** The SCRM area's screen for the path below `scrm/` (404 for one it does not know). */
export default function ScrmArea({ sub }: { sub: string[] }) {
  const { t } = useI18n();
  return (
    screenOf(sub) ?? (
      <Result status="404" title="404" subTitle={t('notFound')} extra={<Button onClick={() => navigate('scrm/live-codes')}>{t('back')}</Button>} />
    )
  );
}
