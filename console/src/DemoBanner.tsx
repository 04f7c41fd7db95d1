/**
 * The "load demo data" banner: shown to owners and operators on a workspace with no customers;
 * POST /v1/demo loads the demo brand (docs/demo.md), then the page reloads what it shows.
 */
import { Alert, Button, Space, Spin } from 'antd';
import { useEffect, useState } from 'react';
import type { DemoSummary } from './api.ts';
import { ErrorAlert } from './components.tsx';
import { formatCount } from './format.ts';
import { useI18n } from './i18n.ts';
import { canChange, useSession } from './session.ts';

/** The banner; `onLoaded` runs after a successful load (e.g. reload the segments list). */
export function DemoBanner({ onLoaded }: { onLoaded: () => void }) {
  const { api, role, workspace } = useSession();
  const { t, locale } = useI18n();
  const [empty, setEmpty] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<DemoSummary>();

  useEffect(() => {
    let live = true;
    if (!canChange(role)) return;
    api
      .profiles({ limit: 1 })
      .then((page) => live && setEmpty(page.data.length === 0))
      .catch(() => live && setEmpty(false));
    return () => {
      live = false;
    };
  }, [api, role, workspace.id]);

  const load = async () => {
    setLoading(true);
    setError(undefined);
    try {
      const summary = await api.loadDemo();
      setDone(summary);
      setEmpty(false);
      onLoaded();
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };

  if (done) {
    const counts = {
      profiles: formatCount(done.profiles, locale),
      orders: formatCount(done.orders, locale),
      segments: done.segments.length,
      seconds: done.seconds,
    };
    const held = done.sends.reduce((n, b) => n + b.held, 0);
    const notes = [...(done.wecom ? [] : [t('demoNoWeCom')]), ...(held ? [t('demoHeld', { held: formatCount(held, locale) })] : [])];
    return (
      <Alert
        type="success"
        showIcon
        closable
        style={{ marginBottom: 16 }}
        data-testid="demo-loaded"
        message={
          done.wecom
            ? t('demoLoadedWeCom', {
                ...counts,
                contacts: formatCount(done.wecom.contacts, locale),
                groups: done.wecom.groups,
                sent: formatCount(
                  done.sends.reduce((n, b) => n + b.sent, 0),
                  locale,
                ),
              })
            : t('demoLoaded', counts)
        }
        description={notes.length ? <span data-testid="demo-notes">{notes.join(' ')}</span> : undefined}
      />
    );
  }
  if (!empty) return null;
  return (
    <Alert
      type="info"
      showIcon
      style={{ marginBottom: 16 }}
      data-testid="demo-banner"
      message={t('demoTitle')}
      description={
        <Space orientation="vertical">
          <span>{t('demoText')}</span>
          {loading ? (
            <Space data-testid="demo-loading">
              <Spin size="small" />
              {t('demoLoading')}
            </Space>
          ) : (
            <Button type="primary" onClick={load} data-testid="load-demo">
              {t('demoLoad')}
            </Button>
          )}
          <ErrorAlert error={error} testId="demo-error" />
        </Space>
      }
    />
  );
}
