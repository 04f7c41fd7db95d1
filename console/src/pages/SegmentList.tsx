/** The segments of the workspace: GET /v1/segments, filtered by status, paged by cursor. */
import { Badge, Button, Card, Segmented, Select, Space, Table, Tag, Tooltip } from 'antd';
import { useEffect, useState } from 'react';
import type { Segment, SegmentListQuery } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { DemoBanner } from '../DemoBanner.tsx';
import { formatCount, formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.ts';

type StatusFilter = NonNullable<SegmentListQuery['status']>;

/** The segments list. */
export function SegmentListPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const [status, setStatus] = useState<StatusFilter>('active');
  const [limit, setLimit] = useState(20);
  const pages = useCursorPages((cursor) => api.listSegments({ status, limit, cursor }), `${status}:${limit}`);

  // While a segment is still computing its size, refresh quietly every 2 s (not for one waiting to retry after a failure).
  const computing = pages.rows.some((s) => s.computing && !s.recompute?.retryAt);
  const { reload } = pages;
  useEffect(() => {
    if (!computing) return;
    const timer = window.setInterval(() => reload({ quiet: true }), 2000);
    return () => window.clearInterval(timer);
  }, [computing, reload]);

  return (
    <Card
      title={t('segmentsTitle')}
      extra={
        <Space>
          <Button onClick={() => pages.reload()}>{t('refresh')}</Button>
          <Button type="primary" onClick={() => navigate('segments/new')} data-testid="new-segment">
            {t('newSegment')}
          </Button>
        </Space>
      }
    >
      <DemoBanner onLoaded={() => pages.reload()} />
      <Space style={{ marginBottom: 16 }} wrap>
        <Segmented<StatusFilter>
          value={status}
          onChange={setStatus}
          data-testid="status-filter"
          options={[
            { value: 'active', label: t('filterActive') },
            { value: 'archived', label: t('filterArchived') },
            { value: 'all', label: t('filterAll') },
          ]}
        />
        <Select<number>
          value={limit}
          onChange={setLimit}
          style={{ width: 120 }}
          options={[20, 50, 100].map((n) => ({ value: n, label: t('perPage', { n }) }))}
        />
      </Space>
      <ErrorAlert error={pages.error} />
      <div data-testid="segments-table">
        <Table<Segment>
          rowKey="id"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          locale={{ emptyText: t('noSegments') }}
          columns={[
            {
              title: t('colName'),
              dataIndex: 'name',
              render: (_, s) => (
                <Space orientation="vertical" size={0}>
                  <Link to={`segments/${encodeURIComponent(s.id)}`} testId="segment-link">
                    {s.name}
                  </Link>
                  {s.description && <span style={{ color: 'rgba(0,0,0,0.45)', fontSize: 12 }}>{s.description}</span>}
                </Space>
              ),
            },
            {
              title: t('colKind'),
              dataIndex: 'kind',
              width: 90,
              render: (k: Segment['kind']) => <Tag color={k === 'rule' ? 'blue' : 'purple'}>{t(k === 'rule' ? 'kind_rule' : 'kind_static')}</Tag>,
            },
            {
              title: t('colStatus'),
              dataIndex: 'status',
              width: 130,
              render: (_, s) => (
                <Space size={4}>
                  <Badge status={s.status === 'active' ? 'success' : 'default'} text={t(s.status === 'active' ? 'status_active' : 'status_archived')} />
                  {s.recompute && s.recompute.state !== 'ok' ? (
                    <Tooltip title={s.recompute.lastError}>
                      <Tag color={s.recompute.state === 'failed' ? 'error' : 'warning'} data-testid="recompute-state">
                        {t(s.recompute.state === 'failed' ? 'recompute_failed' : 'recompute_retrying')}
                      </Tag>
                    </Tooltip>
                  ) : (
                    s.computing && <Tag color="processing">{t('computing')}</Tag>
                  )}
                </Space>
              ),
            },
            { title: t('colVersion'), dataIndex: 'version', width: 80, align: 'right' },
            {
              title: t('colMembers'),
              dataIndex: 'memberCount',
              width: 110,
              align: 'right',
              render: (n: number, s) => (
                <Tooltip title={s.computing ? t('computing') : undefined}>
                  <span data-testid="member-count">{formatCount(n, locale)}</span>
                </Tooltip>
              ),
            },
            { title: t('colUpdated'), dataIndex: 'updatedAt', width: 190, render: (v: string) => formatTime(v, locale) },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="segments-pager" />
    </Card>
  );
}
