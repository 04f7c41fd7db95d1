/** The console shell: locale, the signed-in session, the header (workspace switcher, menu by role) and the screen of the path. */
import { App as AntApp, Button, ConfigProvider, Dropdown, Grid, Layout, Menu, Result, Segmented, Select, Space, Spin, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, type ReactNode, Suspense, useEffect, useMemo, useState } from 'react';
import { ApiError, type ConsoleSession, consoleAuth, createApi, type Role, type Workspace } from './api.ts';
import { I18nContext, i18nFor, type Locale, type MessageKey } from './i18n.ts';
import { AcceptInvitationPage } from './pages/AcceptInvitation.tsx';
import { CustomerListPage } from './pages/customers/CustomerList.tsx';
import { CustomerProfilePage } from './pages/customers/CustomerProfile.tsx';
import { JourneyEditorPage } from './pages/journeys/JourneyEditor.tsx';
import { JourneyListPage } from './pages/journeys/JourneyList.tsx';
import { ExperimentListPage } from './pages/ExperimentList.tsx';
import { ExperimentResultsPage } from './pages/ExperimentResults.tsx';
import { ClvReportPage } from './pages/ClvReport.tsx';
import { CohortTablePage } from './pages/CohortTable.tsx';
import { FunnelBuilderPage } from './pages/FunnelBuilder.tsx';
import { InsightOverviewPage } from './pages/InsightOverview.tsx';
import { OverviewPage } from './pages/overview/Overview.tsx';
import { SurveyEditorPage } from './pages/SurveyEditor.tsx';
import { SurveyListPage } from './pages/SurveyList.tsx';
import { SurveyReportPage } from './pages/SurveyReport.tsx';
import { CouponTemplateEditorPage } from './pages/CouponTemplateEditor.tsx';
import { CouponTemplateListPage } from './pages/CouponTemplateList.tsx';
import { RfmReportPage } from './pages/RfmReport.tsx';
import { SegmentDetailPage } from './pages/SegmentDetail.tsx';
import { SegmentEditorPage } from './pages/SegmentEditor.tsx';
import { SegmentListPage } from './pages/SegmentList.tsx';
import { ApiKeysPage } from './pages/settings/ApiKeys.tsx';
import { UsersPage } from './pages/settings/Users.tsx';
import { WorkspaceSettingsPage } from './pages/settings/WorkspaceSettings.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { WorkbenchPage } from './pages/Workbench.tsx';
import type { MessagesRoute } from './pages/messages/MessagesScreen.tsx';
import { matchRoute, navigate, type Route, usePath } from './router.tsx';
import { loadLocale, pickWorkspace, saveLocale, saveWorkspace, type Session, SessionContext } from './session.ts';

/** The SCRM area: its own chunk, loaded the first time an SCRM screen is opened. */
const ScrmArea = lazy(() => import('./pages/scrm/ScrmArea.tsx'));

/** The SCRM screens' menu entries (paths below `scrm/`). */
const SCRM_AREAS = [
  ['connection', 'navScrmConnection'],
  ['staff', 'navScrmStaff'],
  ['contacts', 'navScrmContacts'],
  ['live-codes', 'navScrmLiveCodes'],
  ['groups', 'navScrmGroups'],
  ['group-codes', 'navScrmGroupCodes'],
  ['sops', 'navScrmSops'],
  ['tasks', 'navScrmTasks'],
  ['handovers', 'navScrmHandovers'],
  ['alerts', 'navScrmAlerts'],
  ['archive', 'navScrmArchive'],
] as const;

/** The menu entry of an SCRM path (`scrm/live-codes/lc_1` → `scrm/live-codes`); unknown areas fall to live codes (the area shows its 404). */
function scrmNavKey(sub: string[]): string {
  return `scrm/${SCRM_AREAS.some(([a]) => a === sub[0]) ? sub[0] : 'live-codes'}`;
}

type Auth =
  | { state: 'checking' }
  | { state: 'signed-out'; notice?: string }
  | { state: 'signed-in'; session: ConsoleSession; workspaceId: string; workspace: Workspace | null; error?: unknown };

/** The messaging screens: a chunk of their own, loaded when one is first opened. */
const MessagesScreen = lazy(() => import('./pages/messages/MessagesScreen.tsx'));
const messages = (route: MessagesRoute) => (
  <Suspense fallback={<Spin style={{ display: 'block', margin: '80px auto' }} />}>
    <MessagesScreen route={route} />
  </Suspense>
);

/** A menu entry: the path it opens, its label, and the roles that see it. */
interface NavItem {
  key: string;
  label: MessageKey;
  roles: Role[];
  children?: NavItem[];
}

const NAV: NavItem[] = [
  { key: 'overview', label: 'navOverview', roles: ['owner', 'operator', 'analyst'] },
  { key: 'customers', label: 'navCustomers', roles: ['owner', 'operator', 'analyst'] },
  { key: 'segments', label: 'navSegments', roles: ['owner', 'operator', 'analyst'] },
  { key: 'rfm', label: 'navRfm', roles: ['owner', 'operator', 'analyst'] },
  { key: 'journeys', label: 'navJourneys', roles: ['owner', 'operator', 'analyst'] },
  { key: 'experiments', label: 'navExperiments', roles: ['owner', 'operator', 'analyst'] },
  {
    key: 'insight',
    label: 'navInsight',
    roles: ['owner', 'operator', 'analyst'],
    children: [
      { key: 'insight/overview', label: 'navInsightOverview', roles: ['owner', 'operator', 'analyst'] },
      { key: 'insight/funnels', label: 'navFunnels', roles: ['owner', 'operator', 'analyst'] },
      { key: 'insight/cohorts', label: 'navCohorts', roles: ['owner', 'operator', 'analyst'] },
      { key: 'insight/clv', label: 'navClv', roles: ['owner', 'operator', 'analyst'] },
    ],
  },
  {
    key: 'messages',
    label: 'navMessages',
    roles: ['owner', 'operator', 'analyst'],
    children: [
      { key: 'messages/templates', label: 'navTemplates', roles: ['owner', 'operator', 'analyst'] },
      { key: 'messages/broadcasts', label: 'navBroadcasts', roles: ['owner', 'operator', 'analyst'] },
      { key: 'messages/channels', label: 'navChannels', roles: ['owner', 'operator', 'analyst'] },
      { key: 'messages/guardrails', label: 'navGuardrails', roles: ['owner', 'operator', 'analyst'] },
      { key: 'messages/consent', label: 'navConsentLedger', roles: ['owner', 'operator', 'analyst'] },
    ],
  },
  { key: 'surveys', label: 'navSurveys', roles: ['owner', 'operator', 'analyst'] },
  { key: 'coupons', label: 'navCoupons', roles: ['owner', 'operator', 'analyst'] },
  {
    key: 'scrm',
    label: 'navScrm',
    roles: ['owner', 'operator', 'analyst'],
    children: SCRM_AREAS.map(([area, label]) => ({ key: `scrm/${area}`, label, roles: ['owner', 'operator', 'analyst'] })),
  },
  { key: 'workbench', label: 'navWorkbench', roles: ['owner', 'operator', 'guide'] },
  {
    key: 'settings',
    label: 'navSettings',
    roles: ['owner', 'operator', 'analyst', 'guide'],
    children: [
      { key: 'settings/workspace', label: 'navWorkspace', roles: ['owner', 'operator', 'analyst', 'guide'] },
      { key: 'settings/users', label: 'navUsers', roles: ['owner'] },
      { key: 'settings/keys', label: 'navApiKeys', roles: ['owner'] },
    ],
  },
];

/** The screen of a route for a role (a guide's home is the workbench; other screens say the role cannot open them). */
function screen(route: Route, role: Role, t: (k: MessageKey) => string): ReactNode {
  const home = role === 'guide' ? 'workbench' : 'overview';
  const allowed = (key: string) => NAV.flatMap((n) => [n, ...(n.children ?? [])]).some((n) => n.key === key && n.roles.includes(role));
  const guard = (key: string, node: ReactNode) => (allowed(key) ? node : <Result status="403" title="403" subTitle={t('forbiddenHere')} />);
  switch (route.name) {
    case 'overview':
      // The guide's home is the workbench; everyone else starts on the overview.
      return role === 'guide' ? <WorkbenchPage /> : <OverviewPage />;
    case 'segments':
      return role === 'guide' ? <WorkbenchPage /> : <SegmentListPage />;
    case 'segment-new':
      return guard('segments', <SegmentEditorPage key="new" />);
    case 'segment-edit':
      return guard('segments', <SegmentEditorPage key={`edit-${route.id}`} id={route.id} />);
    case 'segment':
      return guard('segments', <SegmentDetailPage key={route.id} id={route.id} />);
    case 'rfm':
      return guard('rfm', <RfmReportPage />);
    case 'insight':
      return guard('insight/overview', <InsightOverviewPage />);
    case 'insight-funnels':
      return guard('insight/funnels', <FunnelBuilderPage />);
    case 'insight-cohorts':
      return guard('insight/cohorts', <CohortTablePage />);
    case 'clv':
      return guard('insight/clv', <ClvReportPage />);
    case 'customers':
      return guard('customers', <CustomerListPage />);
    case 'journeys':
      return guard('journeys', <JourneyListPage />);
    case 'journey':
      return guard('journeys', <JourneyEditorPage key={route.id} id={route.id} />);
    case 'experiments':
      return guard('experiments', <ExperimentListPage />);
    case 'experiment':
      return guard('experiments', <ExperimentResultsPage key={route.id} id={route.id} />);
    case 'surveys':
      return guard('surveys', <SurveyListPage />);
    case 'survey-new':
      return guard('surveys', <SurveyEditorPage key="new" />);
    case 'survey-edit':
      return guard('surveys', <SurveyEditorPage key={`edit-${route.id}`} id={route.id} />);
    case 'survey':
      return guard('surveys', <SurveyReportPage key={route.id} id={route.id} />);
    case 'coupons':
      return guard('coupons', <CouponTemplateListPage />);
    case 'coupon-new':
      return guard('coupons', <CouponTemplateEditorPage />);
    case 'templates':
    case 'template-new':
    case 'template':
      return guard('messages/templates', messages(route));
    case 'broadcasts':
    case 'broadcast-new':
    case 'broadcast':
      return guard('messages/broadcasts', messages(route));
    case 'channels':
      return guard('messages/channels', messages(route));
    case 'guardrails':
      return guard('messages/guardrails', messages(route));
    case 'consent-ledger':
      return guard('messages/consent', messages(route));
    case 'scrm':
      return guard(
        scrmNavKey(route.sub),
        <Suspense fallback={<Spin size="large" style={{ display: 'block', margin: '120px auto' }} />}>
          <ScrmArea sub={route.sub} />
        </Suspense>,
      );
    case 'customer':
      // A guide opens the customers they follow (the API refuses the others).
      return <CustomerProfilePage key={route.id} id={route.id} />;
    case 'workbench':
      return guard('workbench', <WorkbenchPage />);
    case 'users':
      return guard('settings/users', <UsersPage />);
    case 'keys':
      return guard('settings/keys', <ApiKeysPage />);
    case 'workspace-settings':
      return guard('settings/workspace', <WorkspaceSettingsPage />);
    default:
      return <Result status="404" title="404" subTitle={t('notFound')} extra={<Button onClick={() => navigate(home)}>{t('back')}</Button>} />;
  }
}

/** The whole console. */
export function App() {
  const [locale, setLocale] = useState<Locale>(loadLocale);
  const i18n = useMemo(() => i18nFor(locale), [locale]);
  const { t } = i18n;
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const path = usePath();
  const route = matchRoute(path);
  const wide = Grid.useBreakpoint().md !== false;

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  // The browser's session cookie (httpOnly: only the server can read it) is checked first.
  useEffect(() => {
    if (auth.state !== 'checking') return;
    let live = true;
    consoleAuth.session().then(
      (session) => live && signedIn(session),
      (err: unknown) =>
        live && setAuth({ state: 'signed-out', notice: err instanceof ApiError && err.status === 401 ? undefined : String((err as Error).message) }),
    );
    return () => {
      live = false;
    };
  }, [auth.state]);

  const signedIn = (session: ConsoleSession, preferred?: string) => {
    const workspaceId = preferred ?? pickWorkspace(session);
    if (!workspaceId) return setAuth({ state: 'signed-out', notice: t('forbiddenHere') });
    saveWorkspace(workspaceId);
    setAuth({ state: 'signed-in', session, workspaceId, workspace: null });
    if (route.name === 'accept-invitation') navigate('', true);
  };

  const signOut = (notice?: string) => setAuth({ state: 'signed-out', notice });
  const session: Session | null = useMemo(() => {
    if (auth.state !== 'signed-in' || !auth.workspace) return null;
    const membership = auth.session.workspaces.find((w) => w.id === auth.workspaceId)!;
    const api = createApi({ csrfToken: auth.session.csrfToken, workspaceId: auth.workspaceId }, () => signOut(i18nFor(loadLocale()).t('sessionExpired')));
    const workspaceChanged = (ws: Workspace) =>
      setAuth({
        ...auth,
        workspace: ws,
        session: { ...auth.session, workspaces: auth.session.workspaces.map((w) => (w.id === ws.id ? { ...w, name: ws.name } : w)) },
      });
    return { api, workspace: auth.workspace, user: auth.session.user, role: membership.role, wecomUserId: membership.wecomUserId, workspaceChanged };
  }, [auth]);

  // The workspace's own record (name, settings), read with the chosen workspace.
  useEffect(() => {
    if (auth.state !== 'signed-in' || auth.workspace) return;
    let live = true;
    createApi({ csrfToken: auth.session.csrfToken, workspaceId: auth.workspaceId })
      .workspace()
      .then(
        (workspace) => live && setAuth({ ...auth, workspace }),
        (err: unknown) => live && (err instanceof ApiError && err.status === 401 ? signOut(t('sessionExpired')) : setAuth({ ...auth, error: err })),
      );
    return () => {
      live = false;
    };
  }, [auth, t]);

  const changeLocale = (l: Locale) => {
    saveLocale(l);
    setLocale(l);
  };

  let body: ReactNode;
  if (route.name === 'accept-invitation' && auth.state !== 'signed-in') body = <AcceptInvitationPage onSignedIn={(s) => signedIn(s)} />;
  else if (auth.state === 'checking' || (auth.state === 'signed-in' && !session && !auth.error)) {
    body = <Spin size="large" style={{ display: 'block', margin: '120px auto' }} />;
  } else if (auth.state === 'signed-out') body = <SignInPage notice={auth.notice} onSignedIn={(s) => signedIn(s)} />;
  else if (!session) body = <Result status="error" title={String((auth as { error?: Error }).error?.message ?? '')} />;
  else body = screen(route, session.role, t);

  const nav = session
    ? NAV.filter((n) => n.roles.includes(session.role) && (n.key !== 'workbench' || session.wecomUserId)).map((n) => ({
        key: n.key,
        label: <span data-testid={`nav-${n.key}`}>{t(n.label)}</span>,
        children: n.children
          ?.filter((c) => c.roles.includes(session.role))
          .map((c) => ({ key: c.key, label: <span data-testid={`nav-${c.key.replace('/', '-')}`}>{t(c.label)}</span> })),
      }))
    : [];
  const selected =
    (route.name === 'scrm' ? scrmNavKey(route.sub) : undefined) ??
    (
      {
        overview: 'overview',
        users: 'settings/users',
        keys: 'settings/keys',
        'workspace-settings': 'settings/workspace',
        rfm: 'rfm',
        workbench: 'workbench',
        customers: 'customers',
        customer: 'customers',
        experiments: 'experiments',
        experiment: 'experiments',
        coupons: 'coupons',
        'coupon-new': 'coupons',
        journeys: 'journeys',
        journey: 'journeys',
        insight: 'insight/overview',
        'insight-funnels': 'insight/funnels',
        'insight-cohorts': 'insight/cohorts',
        clv: 'insight/clv',
        templates: 'messages/templates',
        'template-new': 'messages/templates',
        template: 'messages/templates',
        broadcasts: 'messages/broadcasts',
        'broadcast-new': 'messages/broadcasts',
        broadcast: 'messages/broadcasts',
        channels: 'messages/channels',
        guardrails: 'messages/guardrails',
        'consent-ledger': 'messages/consent',
        surveys: 'surveys',
        'survey-new': 'surveys',
        'survey-edit': 'surveys',
        survey: 'surveys',
      } as Partial<Record<Route['name'], string>>
    )[route.name] ??
    'segments';
  const csrf = auth.state === 'signed-in' ? auth.session.csrfToken : '';
  const account = session && (
    <Dropdown
      trigger={['click']}
      menu={{
        items: [
          { key: 'out', label: <span data-testid="sign-out">{t('signOut')}</span> },
          { key: 'everywhere', label: <span data-testid="sign-out-everywhere">{t('signOutEverywhere')}</span> },
        ],
        onClick: async ({ key }) => {
          await (key === 'out' ? consoleAuth.logout(csrf) : consoleAuth.logoutEverywhere(csrf)).catch(() => undefined);
          signOut();
        },
      }}
    >
      <Button size="small" data-testid="account-menu">
        {session.user.name}
      </Button>
    </Dropdown>
  );
  const workspaces = auth.state === 'signed-in' ? auth.session.workspaces : [];

  return (
    <ConfigProvider locale={locale === 'zh-CN' ? zhCN : enUS}>
      <AntApp>
        <I18nContext.Provider value={i18n}>
          <Layout style={{ minHeight: '100vh' }}>
            <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: wide ? 24 : 8, paddingInline: wide ? 24 : 12 }}>
              <Typography.Title level={4} style={{ color: '#fff', margin: 0, whiteSpace: 'nowrap' }}>
                {t('appName')} {wide && <span style={{ fontSize: 13, fontWeight: 400, opacity: 0.7 }}>{t('appSubtitle')}</span>}
              </Typography.Title>
              {session && !wide && (
                <Dropdown trigger={['click']} menu={{ items: nav, onClick: (e) => navigate(e.key) }}>
                  <Button size="small" data-testid="nav-menu">
                    ☰
                  </Button>
                </Dropdown>
              )}
              <Space style={{ marginLeft: 'auto' }} size={wide ? 'middle' : 'small'}>
                {session &&
                  (workspaces.length > 1 ? (
                    <Select
                      size="small"
                      value={session.workspace.id}
                      style={{ minWidth: 120 }}
                      data-testid="workspace-switcher"
                      aria-label={t('switchWorkspace')}
                      options={workspaces.map((w) => ({ value: w.id, label: w.name }))}
                      onChange={(id) => auth.state === 'signed-in' && signedIn(auth.session, id)}
                    />
                  ) : (
                    <Typography.Text style={{ color: 'rgba(255,255,255,0.85)' }} data-testid="workspace-name">
                      {wide ? `${t('workspace')}: ` : ''}
                      {session.workspace.name}
                    </Typography.Text>
                  ))}
                <Segmented<Locale>
                  size="small"
                  value={locale}
                  onChange={changeLocale}
                  options={[
                    { value: 'zh-CN', label: <span data-testid="locale-zh">{wide ? '中文' : '中'}</span> },
                    { value: 'en', label: <span data-testid="locale-en">{wide ? 'English' : 'EN'}</span> },
                  ]}
                  aria-label={t('language')}
                />
                {account}
              </Space>
            </Layout.Header>
            <SessionContext.Provider value={session}>
              <Layout>
                {/* Wide screens: the areas down the left (a dozen of them no longer fit across the header); each area's screens open to its right on hover. */}
                {session && wide && (
                  <Layout.Sider width={184} theme="dark" data-testid="nav-side">
                    <Menu theme="dark" mode="vertical" selectedKeys={[selected]} onClick={(e) => navigate(e.key)} items={nav} />
                  </Layout.Sider>
                )}
                <Layout.Content style={{ padding: wide ? 24 : 12, maxWidth: 1280, width: '100%', margin: '0 auto' }}>{body}</Layout.Content>
              </Layout>
            </SessionContext.Provider>
          </Layout>
        </I18nContext.Provider>
      </AntApp>
    </ConfigProvider>
  );
}
