/** Channel live codes (渠道活码, GET /v1/wecom/live-codes): the list, filtered by channel and status. */
import { Button, Card, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { LiveCode } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { type MessageKey, useI18n } from '../../i18n.ts';
import { Link, navigate } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { StatusTag } from './shared.tsx';

/** The channels a live code may stand for (as the API lists them). */
export const CHANNELS = ['store', 'event', 'poster', 'ad', 'other'] as const;
/** The channel's text key. */
export const channelKey = (c: string) => `scrmChannel_${c}` as MessageKey;

/** The live codes list. */
export function LiveCodesPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const [channel, setChannel] = useState<(typeof CHANNELS)[number] | undefined>();
  const [status, setStatus] = useState<'active' | 'expired' | undefined>();
  const pages = useCursorPages((cursor) => api.scrm.liveCodes({ channel, status, limit: 20, cursor }), `${channel}|${status}`);
  return (
    <Card
      title={t('scrmLiveCodesTitle')}
      extra={
        canChange(role) && (
          <Button type="primary" onClick={() => navigate('scrm/live-codes/new')} data-testid="new-live-code">
            {t('scrmNewLiveCode')}
          </Button>
        )
      }
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          allowClear
          placeholder={t('scrmChannel')}
          value={channel}
          onChange={setChannel}
          style={{ width: 150 }}
          options={CHANNELS.map((c) => ({ value: c, label: t(channelKey(c)) }))}
        />
        <Select
          allowClear
          placeholder={t('colStatus')}
          value={status}
          onChange={setStatus}
          style={{ width: 140 }}
          options={[
            { value: 'active', label: t('scrmStatus_active') },
            { value: 'expired', label: t('scrmStatus_expired') },
          ]}
        />
      </Space>
      <ErrorAlert error={pages.error} />
      <div data-testid="live-codes-table">
        <Table<LiveCode>
          rowKey="id"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('scrmNoLiveCodes') }}
          columns={[
            {
              title: t('colName'),
              dataIndex: 'name',
              render: (n: string, c) => (
                <Link to={`scrm/live-codes/${encodeURIComponent(c.id)}`} testId="live-code-link">
                  {n}
                </Link>
              ),
            },
            { title: t('scrmChannel'), dataIndex: 'channel', render: (c: string) => <Tag>{t(channelKey(c))}</Tag> },
            { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
            {
              title: t('scrmStaffCol'),
              key: 'staff',
              render: (_, c) => (
                <Typography.Text>
                  {t('scrmStaffCount', { n: c.staff.length })}
                  <Typography.Text type="secondary">{` · ${t('scrmActiveNow', { list: c.activeUsers.join(', ') })}`}</Typography.Text>
                </Typography.Text>
              ),
            },
            { title: t('scrmDailyCap'), dataIndex: 'dailyCap', render: (n: number | null) => n ?? '—' },
            { title: t('scrmCreated'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
            {
              title: t('scrmSyncError'),
              dataIndex: 'syncError',
              render: (v: string | null) => (v ? <Typography.Text type="danger">{v}</Typography.Text> : '—'),
            },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="live-codes-pager" />
    </Card>
  );
}
