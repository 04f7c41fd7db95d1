/** Broadcasts, newest first, a page at a time (GET /v1/broadcasts), by status; refreshed while one is sending. */
import { Button, Card, Progress, Select, Space, Table } from 'antd';
import { useEffect, useState } from 'react';
import type { Broadcast, BroadcastStatus } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link, navigate } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { BroadcastStatusTag, useChannelLabel } from './shared.tsx';
import { useSegmentNames } from './segments.ts';

const STATUSES: BroadcastStatus[] = ['draft', 'scheduled', 'sending', 'sent', 'cancelled', 'failed'];

/** The share of a broadcast's audience handed to the outbox (or held out, or excluded), 0-100. */
export function fanoutPercent(b: Pick<Broadcast, 'progress' | 'status'>): number {
  if (b.status === 'sent') return 100;
  const { total, enqueued, holdout, excluded } = b.progress;
  if (!total) return 0;
  return Math.min(100, Math.round(((enqueued + holdout + excluded) / total) * 100));
}

/** The broadcasts list. */
export function BroadcastListPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const channelLabel = useChannelLabel();
  const [status, setStatus] = useState<BroadcastStatus | undefined>();
  const pages = useCursorPages((cursor) => api.listBroadcasts({ limit: 20, cursor, status }), status ?? 'all');
  const names = useSegmentNames(pages.rows.map((b) => b.segmentId));
  const sending = pages.rows.some((b) => b.status === 'sending');
  const { reload } = pages;
  useEffect(() => {
    if (!sending) return;
    const timer = setInterval(() => reload({ quiet: true }), 2000);
    return () => clearInterval(timer);
  }, [sending, reload]);

  return (
    <Card
      title={t('msgBroadcastsTitle')}
      extra={
        <Space>
          <Button onClick={() => pages.reload()} data-testid="broadcasts-refresh">
            {t('refresh')}
          </Button>
          {canChange(role) && (
            <Button type="primary" onClick={() => navigate('messages/broadcasts/new')} data-testid="new-broadcast">
              {t('msgNewBroadcast')}
            </Button>
          )}
        </Space>
      }
    >
      <Select<BroadcastStatus>
        allowClear
        placeholder={t('msgAllStatuses')}
        value={status}
        onChange={setStatus}
        style={{ minWidth: 160, marginBottom: 16 }}
        options={STATUSES.map((s) => ({ value: s, label: t(`msgBroadcastStatus_${s}`) }))}
      />
      <ErrorAlert error={pages.error} />
      <Table<Broadcast>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        data-testid="broadcasts-table"
        locale={{ emptyText: t('msgNoBroadcasts') }}
        columns={[
          {
            title: t('colName'),
            dataIndex: 'name',
            render: (_, b) => (
              <Link to={`messages/broadcasts/${encodeURIComponent(b.id)}`} testId="broadcast-link">
                {b.name}
              </Link>
            ),
          },
          { title: t('colStatus'), dataIndex: 'status', render: (s: BroadcastStatus) => <BroadcastStatusTag status={s} /> },
          { title: t('msgChannel'), dataIndex: 'channel', render: (c: string) => channelLabel(c) },
          { title: t('msgAudience'), dataIndex: 'segmentId', render: (id: string) => names[id] ?? id },
          {
            title: t('msgProgress'),
            key: 'progress',
            render: (_, b) =>
              b.status === 'draft' || b.status === 'scheduled' ? '—' : <Progress percent={fanoutPercent(b)} size="small" style={{ minWidth: 120 }} />,
          },
          { title: t('msgSendAt'), key: 'when', render: (_, b) => formatTime(b.startedAt ?? b.sendAt, locale) },
          { title: t('createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
        ]}
      />
      <CursorPager pages={pages} testId="broadcasts-pager" />
    </Card>
  );
}
