/** Settings → Workspace, the encryption-keys card (owners): the data key versions, a rotate button, the rotation's progress. */
import { App as AntApp, Button, Card, Popconfirm, Progress, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { KeyStatus } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';

type Version = KeyStatus['data'][number];
const STATE_LABEL = { active: 'keysStateActive', retiring: 'keysStateRetiring', retired: 'keysStateRetired' } as const;
const STATE_COLOR: Record<string, string> = { active: 'green', retiring: 'orange', retired: 'default' };

/** The encryption-keys card; nothing for other roles (the API is the owner's). */
export function EncryptionKeysCard() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [status, setStatus] = useState<KeyStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const owner = role === 'owner';
  const load = useCallback(() => api.encryptionKeys().then(setStatus, setError), [api]);

  useEffect(() => {
    if (owner) void load();
  }, [owner, load]);
  const running = status?.rotation?.state === 'running';
  // While a rotation runs, its progress is read again every 2 s.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [running, load]);

  if (!owner)
    return (
      <Card title={t('keysTitle')} data-testid="encryption-keys">
        <Typography.Text type="secondary">{t('keysOwnerOnly')}</Typography.Text>
      </Card>
    );

  const rotate = async () => {
    setError(null);
    setBusy(true);
    try {
      setStatus(await api.rotateEncryptionKey());
      message.success(t('keysRotate'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const r = status?.rotation;
  const stores = r?.stores ?? [];
  const percent = stores.length ? Math.round((100 * stores.filter((s) => s.done).length) / stores.length) : 0;
  return (
    <Card title={t('keysTitle')} data-testid="encryption-keys">
      <Typography.Paragraph type="secondary">{t('keysHelp')}</Typography.Paragraph>
      <ErrorAlert error={error} testId="keys-error" />
      {status && (
        <Space orientation="vertical" style={{ width: '100%' }}>
          {status.data.length === 0 ? (
            <Typography.Text type="secondary">{t('keysNone')}</Typography.Text>
          ) : (
            <Table<Version>
              size="small"
              pagination={false}
              rowKey="version"
              dataSource={status.data}
              data-testid="keys-versions"
              columns={[
                { title: t('keysVersion'), dataIndex: 'version' },
                {
                  title: t('keysState'),
                  dataIndex: 'state',
                  render: (s: string) => <Tag color={STATE_COLOR[s]}>{t(STATE_LABEL[s as keyof typeof STATE_LABEL] ?? 'keysStateRetired')}</Tag>,
                },
                { title: t('keysCreated'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
                { title: t('keysRetired'), dataIndex: 'retiredAt', render: (v: string | null) => (v ? formatTime(v, locale) : '—') },
              ]}
            />
          )}
          {r && r.state === 'running' && (
            <div data-testid="keys-progress">
              <Progress percent={percent} status="active" />
              <Typography.Text type="secondary">
                {Date.parse(r.notBefore) > Date.now() && r.changed === 0 ? t('keysWaiting') : t('keysRotating', { changed: r.changed.toLocaleString(locale) })}
              </Typography.Text>
            </div>
          )}
          {r && r.state === 'done' && (
            <Typography.Text type="secondary" data-testid="keys-done">
              {t('keysRotationDone', { time: formatTime(r.finishedAt ?? r.startedAt, locale), changed: r.changed.toLocaleString(locale) })}
            </Typography.Text>
          )}
          <Popconfirm title={t('keysRotateConfirm')} onConfirm={rotate} okButtonProps={{ 'data-testid': 'keys-rotate-ok' } as Record<string, string>}>
            <Button loading={busy} disabled={running} data-testid="keys-rotate">
              {t('keysRotate')}
            </Button>
          </Popconfirm>
        </Space>
      )}
    </Card>
  );
}
