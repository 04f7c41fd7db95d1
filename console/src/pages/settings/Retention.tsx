/**
 * Settings → Data retention (owner only; the API enforces it): how long each kind of data is kept,
 * in days or forever, with the defaults and bounds beside each; and the retention job's runs with
 * what each removed per kind, and a button to run it now.
 */
import { App as AntApp, Button, Card, Checkbox, InputNumber, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { RetentionAnswer, RetentionKind, RetentionRun } from '../../api-retention.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';

type Periods = RetentionAnswer['periods'];
const KINDS: RetentionKind[] = ['events', 'messageBodies', 'conversationArchive', 'deliveryLogs', 'privacyRequests', 'auditLog'];
const STATUS_COLOR: Record<RetentionRun['status'], string> = { running: 'gold', completed: 'green', failed: 'red' };

/** The periods card: days per kind, or forever. */
function PeriodsCard() {
  const { api } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [answer, setAnswer] = useState<RetentionAnswer | null>(null);
  const [draft, setDraft] = useState<Periods | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    api.retention.get().then(
      (a) => {
        setAnswer(a);
        setDraft(a.periods);
      },
      (err: unknown) => setError(err),
    );
  }, [api]);

  const set = (k: RetentionKind, v: number | null) => setDraft((d) => (d ? { ...d, [k]: v } : d));
  const save = async (periods: Partial<Periods>) => {
    setError(null);
    setSaving(true);
    try {
      const a = await api.retention.save({ periods });
      setAnswer(a);
      setDraft(a.periods);
      message.success(t('retentionSaved'));
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const period = (k: RetentionKind) => {
    const value = draft![k];
    const { min, max } = answer!.bounds[k];
    return (
      <Space orientation="vertical" size={0}>
        <Space>
          <InputNumber
            min={min}
            max={max}
            precision={0}
            value={value ?? undefined}
            disabled={value === null}
            onChange={(v) => v !== null && set(k, v)}
            addonAfter={t('retentionDays')}
            style={{ width: 170 }}
            data-testid={`ret-${k}-days`}
          />
          <Checkbox checked={value === null} onChange={(e) => set(k, e.target.checked ? null : answer!.defaults[k])} data-testid={`ret-${k}-forever`}>
            {t('retentionForever')}
          </Checkbox>
        </Space>
        <Typography.Text type="secondary">
          {t('retentionDefault', { n: String(answer!.defaults[k]) })} · {t('retentionBounds', { min: String(min), max: String(max) })}
        </Typography.Text>
      </Space>
    );
  };

  return (
    <Card title={t('retentionTitle')} data-testid="retention">
      <Typography.Paragraph type="secondary">{t('retentionHelp')}</Typography.Paragraph>
      <ErrorAlert error={error} testId="ret-error" />
      {draft && answer && (
        <>
          <Table
            size="small"
            pagination={false}
            rowKey={(k) => k}
            dataSource={KINDS}
            columns={[
              {
                title: t('retentionKind'),
                key: 'kind',
                render: (_: unknown, k) => (
                  <Space orientation="vertical" size={0}>
                    <Typography.Text strong>{t(`retentionKind_${k}`)}</Typography.Text>
                    <Typography.Text type="secondary">{t(`retentionWhat_${k}`)}</Typography.Text>
                  </Space>
                ),
              },
              { title: t('retentionPeriod'), key: 'period', render: (_: unknown, k) => period(k) },
            ]}
          />
          <Space style={{ marginTop: 16 }}>
            <Button type="primary" loading={saving} onClick={() => save(draft)} data-testid="ret-save">
              {t('retentionSave')}
            </Button>
            <Button onClick={() => save({})} disabled={saving} data-testid="ret-reset">
              {t('retentionReset')}
            </Button>
          </Space>
        </>
      )}
    </Card>
  );
}

/** The runs card: newest first, what each removed per kind. */
function RunsCard() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const pages = useCursorPages((cursor) => api.retention.runs(cursor), 'retention-runs');
  // A run left `running` by a stopped process stays so until the next run: poll only recent ones.
  const running = pages.rows.some((r) => r.status === 'running' && Date.now() - Date.parse(r.startedAt) < 3_600_000);
  const { reload } = pages;

  // While a run is in progress, look again every two seconds.
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => reload({ quiet: true }), 2_000);
    return () => window.clearInterval(timer);
  }, [running, reload]);

  const runNow = async () => {
    setError(null);
    setStarting(true);
    try {
      await api.retention.runNow();
      message.success(t('retentionRunStarted'));
      reload();
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  };
  const purged = (r: RetentionRun) => {
    const done = r.kinds.filter((k) => k.rows > 0 || k.error);
    if (!done.length) return <Typography.Text type="secondary">{t('retentionNothing')}</Typography.Text>;
    return (
      <Space size={[4, 4]} wrap>
        {done.map((k) => (
          <Tag
            key={k.kind}
            color={k.error ? 'red' : undefined}
            title={k.error ?? (k.cutoff ? `< ${formatTime(k.cutoff, locale)}` : undefined)}
            data-testid={`ret-run-${k.kind}`}
          >
            {t(`retentionKind_${k.kind}`)} {k.rows.toLocaleString(locale)}
          </Tag>
        ))}
      </Space>
    );
  };

  return (
    <Card
      title={t('retentionRuns')}
      style={{ marginTop: 16 }}
      extra={
        <Button onClick={runNow} loading={starting} data-testid="ret-run-now">
          {t('retentionRunNow')}
        </Button>
      }
    >
      <ErrorAlert error={error ?? pages.error} />
      <Table<RetentionRun>
        rowKey="id"
        size="small"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        data-testid="ret-runs"
        columns={[
          { title: t('retentionStarted'), dataIndex: 'startedAt', render: (v: string) => formatTime(v, locale) },
          { title: t('retentionTrigger'), dataIndex: 'trigger', render: (v: RetentionRun['trigger']) => t(`retentionTrigger_${v}`) },
          {
            title: t('retentionStatus'),
            dataIndex: 'status',
            render: (v: RetentionRun['status']) => (
              <Tag color={STATUS_COLOR[v]} data-testid="ret-run-status">
                {t(`retentionStatus_${v}`)}
              </Tag>
            ),
          },
          { title: t('retentionDuration'), dataIndex: 'durationMs', render: (v: number | null) => (v === null ? '—' : `${(v / 1000).toFixed(1)} s`) },
          { title: t('retentionPurged'), key: 'purged', render: (_, r) => purged(r) },
        ]}
      />
      <CursorPager pages={pages} />
    </Card>
  );
}

/** The data retention screen. */
export function RetentionPage() {
  return (
    <>
      <PeriodsCard />
      <RunsCard />
    </>
  );
}
