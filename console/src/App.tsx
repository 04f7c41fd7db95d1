/** The console shell: locale, the signed-in session, the header (workspace switcher, menu by role) and the screen of the path. */
import { App as AntApp, Button, ConfigProvider, Dropdown, Grid, Layout, Menu, Result, Segmented, Select, Space, Spin, Typography } from 'antd';
import type { ThemeConfig } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { type ReactNode, Suspense, useEffect, useMemo, useState } from 'react';
import { Outlet, type Params, useMatches, useNavigationType } from 'react-router';
import { ApiError, type ConsoleSession, consoleAuth, createApi, type Role, type Workspace } from './api.ts';
import { I18nContext, i18nFor, type Locale, type MessageKey } from './i18n.ts';
import { AcceptInvitationPage } from './pages/AcceptInvitation.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { navigate, usePath } from './router.tsx';
import { loadLocale, pickWorkspace, saveLocale, saveWorkspace, type Session, SessionContext } from './session.ts';

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
export function scrmNavKey(sub: string[]): string {
  return `scrm/${SCRM_AREAS.some(([a]) => a === sub[0]) ? sub[0] : 'live-codes'}`;
}

/**
 * Menu items narrower than Ant Design's default (10 px each side instead of 16). On wide screens
 * the menu runs down a left sider (a dozen areas did not fit across the header at 1440 px: SCRM and
 * Settings went under "···", and a 1366 px laptop has less); below 768 px it is the header's ☰ button.
 */
const THEME: ThemeConfig = { components: { Menu: { itemPaddingInline: 10 } } };

type Auth =
  | { state: 'checking' }
  | { state: 'signed-out'; notice?: string }
  | { state: 'signed-in'; session: ConsoleSession; workspaceId: string; workspace: Workspace | null; error?: unknown };

/**
 * What a route (routes.tsx) tells the shell: the menu entry it belongs to (highlighted, and the
 * roles that see the entry are the roles that open the route), or a function of the path's
 * parameters giving it; `open` routes are opened by every signed-in role.
 */
export interface RouteHandle {
  nav: string | ((params: Params) => string);
  open?: true;
}

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
    key: 'loyalty',
    label: 'navLoyalty',
    roles: ['owner', 'operator', 'analyst'],
    children: [
      { key: 'loyalty/members', label: 'navLoyaltyMembers', roles: ['owner', 'operator', 'analyst'] },
      { key: 'loyalty/tiers', label: 'navLoyaltyTiers', roles: ['owner', 'operator', 'analyst'] },
      { key: 'loyalty/rules', label: 'navLoyaltyRules', roles: ['owner', 'operator', 'analyst'] },
    ],
  },
  {
    key: 'referrals',
    label: 'navReferrals',
    roles: ['owner', 'operator', 'analyst'],
    children: [
      { key: 'referrals/koc', label: 'navReferralKoc', roles: ['owner', 'operator', 'analyst'] },
      { key: 'referrals/decisions', label: 'navReferralDecisions', roles: ['owner', 'operator', 'analyst'] },
      { key: 'referrals/settings', label: 'navReferralSettings', roles: ['owner', 'operator', 'analyst'] },
    ],
  },
  {
    key: 'growth',
    label: 'navGrowth',
    roles: ['owner', 'operator', 'analyst'],
    children: [
      { key: 'growth/catalogue', label: 'navCatalogue', roles: ['owner', 'operator', 'analyst'] },
      { key: 'growth/lotteries', label: 'navLotteries', roles: ['owner', 'operator', 'analyst'] },
      { key: 'growth/group-buys', label: 'navGroupBuys', roles: ['owner', 'operator', 'analyst'] },
    ],
  },
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
      { key: 'settings/audit', label: 'navAudit', roles: ['owner'] },
      { key: 'settings/privacy', label: 'navPrivacy', roles: ['owner'] },
      { key: 'settings/retention', label: 'navRetention', roles: ['owner'] },
    ],
  },
];

/** Whether a role sees a menu entry (and so opens its screens). */
function allowed(key: string, role: Role): boolean {
  return NAV.flatMap((n) => [n, ...(n.children ?? [])]).some((n) => n.key === key && n.roles.includes(role));
}

/** The menu entry of the deepest matched route, and whether the route is open to every role. */
function useRouteNav(): { nav: string; open: boolean } | undefined {
  const match = useMatches()
    .filter((m) => m.handle)
    .at(-1);
  if (!match) return undefined;
  const handle = match.handle as RouteHandle;
  return { nav: typeof handle.nav === 'function' ? handle.nav(match.params) : handle.nav, open: handle.open === true };
}

/** The whole console: the root route's element, showing the matched screen (routes.tsx) in its content area. */
export function App() {
  const [locale, setLocale] = useState<Locale>(loadLocale);
  const i18n = useMemo(() => i18nFor(locale), [locale]);
  const { t } = i18n;
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const path = usePath();
  const navigationType = useNavigationType();
  const routeNav = useRouteNav();
  const screens = Grid.useBreakpoint();
  const wide = screens.md !== false;

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  // A new screen starts at the top; back and forward leave the scroll to the browser, which
  // restores it. (react-router's <ScrollRestoration> moved the page under an open menu on phones.)
  useEffect(() => {
    if (navigationType !== 'POP') window.scrollTo(0, 0);
  }, [path, navigationType]);

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
    if (path === 'accept-invitation') navigate('', true);
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
  if (path === 'accept-invitation' && auth.state !== 'signed-in') body = <AcceptInvitationPage onSignedIn={(s) => signedIn(s)} />;
  else if (auth.state === 'checking' || (auth.state === 'signed-in' && !session && !auth.error)) {
    body = <Spin size="large" style={{ display: 'block', margin: '120px auto' }} />;
  } else if (auth.state === 'signed-out') body = <SignInPage notice={auth.notice} onSignedIn={(s) => signedIn(s)} />;
  else if (!session) body = <Result status="error" title={String((auth as { error?: Error }).error?.message ?? '')} />;
  else if (routeNav && !routeNav.open && !allowed(routeNav.nav, session.role)) body = <Result status="403" title="403" subTitle={t('forbiddenHere')} />;
  else {
    body = (
      <Suspense fallback={<Spin size="large" style={{ display: 'block', margin: '120px auto' }} />}>
        <Outlet />
      </Suspense>
    );
  }

  const nav = session
    ? NAV.filter((n) => n.roles.includes(session.role) && (n.key !== 'workbench' || session.wecomUserId)).map((n) => ({
        key: n.key,
        label: <span data-testid={`nav-${n.key}`}>{t(n.label)}</span>,
        children: n.children
          ?.filter((c) => c.roles.includes(session.role))
          .map((c) => ({ key: c.key, label: <span data-testid={`nav-${c.key.replace('/', '-')}`}>{t(c.label)}</span> })),
      }))
    : [];
  const selected = routeNav?.nav ?? '';
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
    <ConfigProvider locale={locale === 'zh-CN' ? zhCN : enUS} theme={THEME}>
      <AntApp>
        <I18nContext.Provider value={i18n}>
          <Layout style={{ minHeight: '100vh' }}>
            <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: wide ? 16 : 8, paddingInline: wide ? 24 : 12 }}>
              <Typography.Title level={4} style={{ color: '#fff', margin: 0, whiteSpace: 'nowrap' }}>
                {t('appName')} {screens.xxl && <span style={{ fontSize: 13, fontWeight: 400, opacity: 0.7 }}>{t('appSubtitle')}</span>}
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
