/**
 * The full sync from WeCom (POST/GET /v1/wecom/sync): start or resume it, and watch its phase and
 * counts while it runs (polled every 2 s; a sync started by `siyu wecom sync` shows here too).
 * Owners and operators start it; the API refuses others.
 */
import { Alert, Button, Descriptions, Progress, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { WeComSyncStatus } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';
import { useLoad } from './shared.tsx';

const PHASES = ['staff', 'tags', 'contacts', 'groups', 'done'] as const;

/** The sync's card under the connection. */
export function SyncCard() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const status = useLoad(() => api.scrm.syncStatus(), []);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const s: WeComSyncStatus | undefined = status.data;
  const running = !!s?.running;
  const { reload } = status;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(reload, 2000);
    return () => clearInterval(timer);
  }, [running, reload]);

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      await api.scrm.startSync();
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setStarting(false);
    }
  };
  const phase = s?.run?.phase;
  const step = phase ? PHASES.indexOf(phase) : 0;
  const counts = s?.run?.counts ?? {};
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="wecom-sync">
      <Typography.Title level={5} style={{ margin: 0 }}>
        {t('scrmSyncTitle')}
      </Typography.Title>
      <Typography.Text type="secondary">{t('scrmSyncHelp')}</Typography.Text>
      <ErrorAlert error={status.error ?? error} />
      {running && (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="sync-running">
          <Progress percent={Math.round((step / (PHASES.length - 1)) * 100)} status="active" />
          <Typography.Text>
            {t('scrmSyncRunning', { phase: t(`scrmSyncPhase_${phase ?? 'staff'}`), since: formatTime(s!.runningSince!, locale) })}
          </Typography.Text>
        </Space>
      )}
      {!running && s?.last?.outcome === 'failed' && (
        <Alert type="error" showIcon title={t('scrmSyncFailed')} description={s.last.error} data-testid="sync-failed" />
      )}
      {!running && s?.last?.outcome === 'stopped' && <Alert type="warning" showIcon title={t('scrmSyncStopped')} data-testid="sync-stopped" />}
      {!running && phase === 'done' && s?.last?.outcome !== 'failed' && (
        <Alert type="success" showIcon title={t('scrmSyncDone', { at: formatTime(s!.run!.finishedAt ?? s!.run!.startedAt, locale) })} data-testid="sync-done" />
      )}
      {s?.run && (
        <Descriptions bordered size="small" column={{ xs: 2, md: 4 }} data-testid="sync-counts">
          {(['staff', 'tags', 'relations', 'groups', 'groupMembers', 'resignedStaff', 'unresolved', 'unlicensedStaff'] as const).map((k) => (
            <Descriptions.Item key={k} label={t(`scrmSyncCount_${k}`)}>
              <span data-testid={`sync-count-${k}`}>{(counts[k] ?? 0).toLocaleString(locale)}</span>
            </Descriptions.Item>
          ))}
        </Descriptions>
      )}
      {role !== 'analyst' && role !== 'guide' && (
        <Button onClick={start} loading={starting} disabled={running} data-testid="sync-start">
          {s?.run && s.run.phase !== 'done' && !running ? t('scrmSyncResume') : t('scrmSyncStart')}
        </Button>
      )}
    </Space>
  );
}
