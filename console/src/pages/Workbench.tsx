/**
 * The guide's workbench (导购工作台): today's follow-ups and SOP tasks with a suggested message per
 * customer, and my customers with tags, RFM cell and lifecycle stage. Built for a phone: one column.
 */
import { App as AntApp, Alert, Button, Card, Empty, List, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.ts';

type Today = Awaited<ReturnType<Api['staffToday']>>;
type Row = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The first suggested snippet for a customer (loaded on demand). */
function Suggestion({ api, staff, externalUserid }: { api: Api; staff: string; externalUserid: string }) {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.recommendations(staff, externalUserid).then(
      (r) => {
        const first = r.data[0] as { title?: string; content?: { text?: { content?: string } } } | undefined;
        if (live) setText(first?.content?.text?.content ?? first?.title ?? '');
      },
      () => live && setText(''),
    );
    return () => {
      live = false;
    };
  }, [api, staff, externalUserid]);
  if (!text) return null;
  return (
    <Typography.Paragraph copyable type="secondary" style={{ marginBottom: 0 }} data-testid="suggestion">
      {text}
    </Typography.Paragraph>
  );
}

/** The workbench screen of the signed-in guide (or an owner/operator looking at their own staff id). */
export function WorkbenchPage() {
  const { api, wecomUserId } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [today, setToday] = useState<Today | null>(null);
  const [error, setError] = useState<unknown>(null);
  const staff = wecomUserId ?? '';
  const load = useCallback(() => {
    if (!staff) return;
    api.staffToday(staff).then(setToday, setError);
  }, [api, staff]);
  useEffect(load, [load]);
  const customers = useCursorPages((cursor) => (staff ? api.staffCustomers(staff, cursor) : Promise.resolve({ data: [], nextCursor: null })), staff);

  if (!staff) return <Alert type="info" showIcon title={t('guideNotLinked')} data-testid="guide-not-linked" />;
  const done = async (kind: 'follow-up' | 'sop', id: string) => {
    try {
      await (kind === 'follow-up' ? api.completeFollowUp(id) : api.completeSopTask(id));
      message.success(t('saved'));
      load();
    } catch (err) {
      setError(err);
    }
  };
  const open = [
    ...(today?.followUps ?? []).filter((f) => f.status === 'open').map((f) => ({ kind: 'follow-up' as const, row: f })),
    ...(today?.sopTasks ?? []).filter((s) => s.status === 'pending' || s.status === 'waiting').map((s) => ({ kind: 'sop' as const, row: s })),
  ];
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <ErrorAlert error={error} />
      <Card title={`${t('todayTasks')} ${today?.date ?? ''}`} data-testid="today-tasks">
        {open.length === 0 ? (
          <Empty description={t('noTasks')} />
        ) : (
          <List
            dataSource={open}
            renderItem={({ kind, row }) => (
              <List.Item
                actions={[
                  <Button key="done" size="small" type="primary" onClick={() => done(kind, str(row.id))} data-testid="task-done">
                    {t('markDone')}
                  </Button>,
                ]}
              >
                <List.Item.Meta
                  title={str(row.title) || `${str(row.targetType)} ${str(row.targetId)}`}
                  description={kind === 'follow-up' && <Suggestion api={api} staff={staff} externalUserid={str(row.externalUserid)} />}
                />
              </List.Item>
            )}
          />
        )}
      </Card>
      <Card title={t('myCustomers')}>
        <ErrorAlert error={customers.error} />
        <Table<Row>
          rowKey={(r) => str(r.externalUserid)}
          size="small"
          loading={customers.loading}
          dataSource={customers.rows}
          pagination={false}
          scroll={{ x: true }}
          data-testid="my-customers"
          columns={[
            {
              title: t('customer'),
              key: 'name',
              render: (_: unknown, r) => <Link to={`customers/${encodeURIComponent(str(r.profileId))}`}>{str(r.remark) || str(r.name)}</Link>,
            },
            {
              title: t('tags'),
              key: 'tags',
              render: (_: unknown, r) => ((r.tags as { id: string; name?: string }[]) ?? []).map((g) => <Tag key={g.id}>{g.name ?? g.id}</Tag>),
            },
            { title: t('rfmCell'), dataIndex: 'rfmCell', render: (v: unknown) => str(v) || t('none') },
            { title: t('lifecycleStage'), dataIndex: 'lifecycleStage', render: (v: unknown) => str(v) || t('none') },
            { title: t('lastContact'), dataIndex: 'lastContactAt', render: (v: unknown) => formatTime(str(v), locale) },
          ]}
        />
        <CursorPager pages={customers} />
      </Card>
    </Space>
  );
}
