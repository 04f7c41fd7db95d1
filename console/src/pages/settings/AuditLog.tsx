/**
 * Settings → Audit log (owner only; the API enforces it): every management-API and console
 * action, newest first, with who (a console user by email, a key by name), what, when, from
 * where and the outcome; a row opens to the request body and, for settings and rules, what they
 * were before and after. Filters by person or key, action, outcome and date; CSV export.
 */
import { App as AntApp, Button, Card, DatePicker, Descriptions, Select, Space, Table, Tag, Typography } from 'antd';
import { type ComponentProps, useMemo, useState } from 'react';
import type { AuditEntry, AuditQuery } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';
import { useLoad } from '../scrm/shared.tsx';

/** The range picker's value (dayjs objects; typed from antd, dayjs being antd's dependency, not ours). */
type Range = ComponentProps<typeof DatePicker.RangePicker>['value'];

const json = (v: unknown) => (v === null || v === undefined ? '—' : JSON.stringify(v, null, 2));

/** A recorded action opened: its body, and before/after side by side. */
function Details({ entry }: { entry: AuditEntry }) {
  const { t } = useI18n();
  const pre = (v: unknown, id: string) => (
    <pre style={{ margin: 0, maxHeight: 320, overflow: 'auto', fontSize: 12 }} data-testid={id}>
      {json(v)}
    </pre>
  );
  return (
    <Descriptions bordered size="small" column={1}>
      <Descriptions.Item label={t('auditPath')}>
        <Typography.Text code>{entry.path}</Typography.Text>
      </Descriptions.Item>
      <Descriptions.Item label={t('auditClient')}>{`${entry.ip ?? '—'} · ${entry.userAgent ?? '—'}`}</Descriptions.Item>
      <Descriptions.Item label={t('auditBody')}>{pre(entry.body, 'audit-body')}</Descriptions.Item>
      {(entry.before !== null || entry.after !== null) && (
        <Descriptions.Item label={t('auditChange')}>
          <Space align="start" wrap>
            <div>
              <Typography.Text type="secondary">{t('auditBefore')}</Typography.Text>
              {pre(entry.before, 'audit-before')}
            </div>
            <div>
              <Typography.Text type="secondary">{t('auditAfter')}</Typography.Text>
              {pre(entry.after, 'audit-after')}
            </div>
          </Space>
        </Descriptions.Item>
      )}
    </Descriptions>
  );
}

/** The audit log screen. */
export function AuditLogPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [filters, setFilters] = useState<Omit<AuditQuery, 'limit' | 'cursor'>>({});
  const [range, setRange] = useState<Range>(null);
  const [error, setError] = useState<unknown>(null);
  const q = { ...filters, from: range?.[0]?.startOf('day').toISOString(), to: range?.[1]?.add(1, 'day').startOf('day').toISOString() };
  const pages = useCursorPages((cursor) => api.audit({ ...q, limit: 50, cursor }), JSON.stringify(q));
  // People and keys by id, so each action names who did it.
  const users = useLoad(() => api.users(), []);
  const keys = useLoad(() => api.keys(), []);
  const names = useMemo(() => {
    const m = new Map<string, string>();
    for (const u of users.data?.data ?? []) m.set(u.id, u.email);
    for (const k of keys.data?.data ?? []) m.set(k.id, `${k.name} (${k.prefix}…)`);
    return m;
  }, [users.data, keys.data]);
  const actorOptions = [...names].map(([value, label]) => ({ value, label }));

  const exportCsv = async () => {
    setError(null);
    try {
      const blob = await api.auditCsv(q);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = 'audit-log.csv';
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      message.success(t('exportDone', { file: 'audit-log.csv' }));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Card
      title={t('auditTitle')}
      extra={
        <Space>
          <Button onClick={() => pages.reload()} data-testid="audit-refresh">
            {t('refresh')}
          </Button>
          <Button onClick={exportCsv} data-testid="audit-export">
            {t('auditExport')}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">{t('auditHelp')}</Typography.Paragraph>
      <Space wrap style={{ marginBottom: 16 }}>
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          style={{ minWidth: 220 }}
          placeholder={t('auditActor')}
          options={actorOptions}
          onChange={(actor?: string) => setFilters((f) => ({ ...f, actor }))}
          data-testid="audit-actor"
        />
        <Select
          allowClear
          style={{ minWidth: 140 }}
          placeholder={t('auditOutcome')}
          options={[
            { value: 'ok', label: t('auditOk') },
            { value: 'failed', label: t('auditFailed') },
          ]}
          onChange={(outcome?: 'ok' | 'failed') => setFilters((f) => ({ ...f, outcome }))}
          data-testid="audit-outcome"
        />
        <Select
          allowClear
          style={{ minWidth: 120 }}
          placeholder={t('auditMethod')}
          options={['POST', 'PUT', 'PATCH', 'DELETE', 'GET'].map((m) => ({ value: m, label: m }))}
          onChange={(method?: AuditQuery['method']) => setFilters((f) => ({ ...f, method }))}
        />
        <DatePicker.RangePicker value={range} onChange={(v) => setRange(v)} />
      </Space>
      <ErrorAlert error={error ?? pages.error} />
      <Table<AuditEntry>
        rowKey="id"
        size="small"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        data-testid="audit-table"
        expandable={{ expandedRowRender: (e) => <Details entry={e} /> }}
        columns={[
          { title: t('auditAt'), dataIndex: 'at', render: (v: string) => formatTime(v, locale) },
          {
            title: t('auditActor'),
            key: 'actor',
            render: (_, e) => (
              <Space size={4}>
                <Tag>{e.actor.kind === 'key' ? t('auditKey') : e.actor.role}</Tag>
                <span data-testid="audit-actor-name">{(e.actor.id && names.get(e.actor.id)) ?? e.actor.id ?? '—'}</span>
              </Space>
            ),
          },
          {
            title: t('auditAction'),
            key: 'action',
            render: (_, e) => (
              <span data-testid="audit-action">
                <Typography.Text strong>{e.method}</Typography.Text> <Typography.Text code>{e.route}</Typography.Text>
              </span>
            ),
          },
          { title: t('auditTarget'), dataIndex: 'target', render: (v: string | null) => v ?? '—' },
          {
            title: t('auditStatus'),
            dataIndex: 'status',
            render: (s: number) => <Tag color={s < 400 ? 'green' : 'red'}>{s}</Tag>,
          },
        ]}
      />
      <CursorPager pages={pages as never} />
    </Card>
  );
}
