/** The console shell: locale, sign-in state, header and the screen of the current path. */
import { App as AntApp, Button, ConfigProvider, Layout, Menu, Result, Segmented, Space, Spin, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { useEffect, useMemo, useState } from 'react';
import { ApiError, createApi, type Workspace } from './api.ts';
import { I18nContext, i18nFor, type Locale } from './i18n.ts';
import { CouponTemplateEditorPage } from './pages/CouponTemplateEditor.tsx';
import { CouponTemplateListPage } from './pages/CouponTemplateList.tsx';
import { RfmReportPage } from './pages/RfmReport.tsx';
import { SegmentDetailPage } from './pages/SegmentDetail.tsx';
import { SegmentEditorPage } from './pages/SegmentEditor.tsx';
import { SegmentListPage } from './pages/SegmentList.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { matchRoute, navigate, usePath } from './router.tsx';
import { clearKey, loadKey, loadLocale, saveKey, saveLocale, SessionContext } from './session.ts';

type Auth = { state: 'signed-out'; notice?: string } | { state: 'checking'; key: string } | { state: 'signed-in'; key: string; workspace: Workspace };

/** The whole console. */
export function App() {
  const [locale, setLocale] = useState<Locale>(loadLocale);
  const i18n = useMemo(() => i18nFor(locale), [locale]);
  const { t } = i18n;
  const [auth, setAuth] = useState<Auth>(() => {
    const key = loadKey();
    return key ? { state: 'checking', key } : { state: 'signed-out' };
  });
  const path = usePath();
  const route = matchRoute(path);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  // A key kept from an earlier visit is checked again before anything else is shown.
  useEffect(() => {
    if (auth.state !== 'checking') return;
    let live = true;
    createApi(auth.key)
      .workspace()
      .then(
        (workspace) => live && setAuth({ state: 'signed-in', key: auth.key, workspace }),
        (err: unknown) => {
          if (!live) return;
          if (err instanceof ApiError && err.status === 401) {
            clearKey();
            setAuth({ state: 'signed-out', notice: t('sessionExpired') });
          } else {
            // The server is down or failing: keep the key, show the error on the sign-in screen.
            setAuth({ state: 'signed-out', notice: err instanceof Error ? err.message : String(err) });
          }
        },
      );
    return () => {
      live = false;
    };
  }, [auth, t]);

  const signOut = (notice?: string) => {
    clearKey();
    setAuth({ state: 'signed-out', notice });
  };

  const session = useMemo(
    () =>
      auth.state === 'signed-in' ? { api: createApi(auth.key, () => signOut(i18nFor(loadLocale()).t('sessionExpired'))), workspace: auth.workspace } : null,
    [auth],
  );

  const changeLocale = (l: Locale) => {
    saveLocale(l);
    setLocale(l);
  };

  let body;
  if (auth.state === 'checking') {
    body = <Spin size="large" style={{ display: 'block', margin: '120px auto' }} />;
  } else if (!session) {
    body = (
      <SignInPage
        notice={auth.state === 'signed-out' ? auth.notice : undefined}
        onSignedIn={(key, workspace) => {
          saveKey(key);
          setAuth({ state: 'signed-in', key, workspace });
        }}
      />
    );
  } else {
    switch (route.name) {
      case 'segments':
        body = <SegmentListPage />;
        break;
      case 'segment-new':
        body = <SegmentEditorPage key="new" />;
        break;
      case 'segment-edit':
        body = <SegmentEditorPage key={`edit-${route.id}`} id={route.id} />;
        break;
      case 'segment':
        body = <SegmentDetailPage key={route.id} id={route.id} />;
        break;
      case 'rfm':
        body = <RfmReportPage />;
        break;
      case 'coupons':
        body = <CouponTemplateListPage />;
        break;
      case 'coupon-new':
        body = <CouponTemplateEditorPage />;
        break;
      default:
        body = <Result status="404" title="404" subTitle={t('notFound')} extra={<Button onClick={() => navigate('segments')}>{t('navSegments')}</Button>} />;
    }
  }

  const selected = route.name === 'rfm' ? 'rfm' : route.name.startsWith('coupon') ? 'coupons' : 'segments';
  return (
    <ConfigProvider locale={locale === 'zh-CN' ? zhCN : enUS}>
      <AntApp>
        <I18nContext.Provider value={i18n}>
          <Layout style={{ minHeight: '100vh' }}>
            <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 24, paddingInline: 24 }}>
              <Typography.Title level={4} style={{ color: '#fff', margin: 0, whiteSpace: 'nowrap' }}>
                {t('appName')} <span style={{ fontSize: 13, fontWeight: 400, opacity: 0.7 }}>{t('appSubtitle')}</span>
              </Typography.Title>
              {session && (
                <Menu
                  theme="dark"
                  mode="horizontal"
                  selectedKeys={[selected]}
                  style={{ flex: 1, minWidth: 0 }}
                  onClick={(e) => navigate(e.key)}
                  items={[
                    { key: 'segments', label: <span data-testid="nav-segments">{t('navSegments')}</span> },
                    { key: 'rfm', label: <span data-testid="nav-rfm">{t('navRfm')}</span> },
                    { key: 'coupons', label: <span data-testid="nav-coupons">{t('navCoupons')}</span> },
                  ]}
                />
              )}
              <Space style={{ marginLeft: 'auto' }} size="middle">
                {session && (
                  <Typography.Text style={{ color: 'rgba(255,255,255,0.85)' }} data-testid="workspace-name">
                    {t('workspace')}: {session.workspace.name}
                  </Typography.Text>
                )}
                <Segmented<Locale>
                  size="small"
                  value={locale}
                  onChange={changeLocale}
                  options={[
                    { value: 'zh-CN', label: <span data-testid="locale-zh">中文</span> },
                    { value: 'en', label: <span data-testid="locale-en">English</span> },
                  ]}
                  aria-label={t('language')}
                />
                {session && (
                  <Button size="small" onClick={() => signOut()} data-testid="sign-out">
                    {t('signOut')}
                  </Button>
                )}
              </Space>
            </Layout.Header>
            <SessionContext.Provider value={session}>
              <Layout.Content style={{ padding: 24, maxWidth: 1280, width: '100%', margin: '0 auto' }}>{body}</Layout.Content>
            </SessionContext.Provider>
          </Layout>
        </I18nContext.Provider>
      </AntApp>
    </ConfigProvider>
  );
}
