/** Message templates, by name, a page at a time (GET /v1/templates), filtered by channel and status. */
import { Badge, Button, Card, Select, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import type { ChannelName, MessageTemplate } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link, navigate } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { useChannelLabel } from './shared.tsx';

/** The channels a template may be for, in the order the filter lists them. */
export const TEMPLATE_CHANNELS: ChannelName[] = ['wecom', 'wecom_group', 'sms', 'email', 'wechat_oa', 'miniprogram', 'webhook'];

/** The templates list. */
export function TemplateListPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const channelLabel = useChannelLabel();
  const [channel, setChannel] = useState<ChannelName | undefined>();
  const [status, setStatus] = useState<'active' | 'archived' | 'all'>('active');
  const [limit, setLimit] = useState(20);
  const pages = useCursorPages((cursor) => api.listTemplates({ channel, status, limit, cursor }), `${channel}|${status}|${limit}`);

  return (
    <Card
      title={t('msgTemplatesTitle')}
      extra={
        canChange(role) && (
          <Button type="primary" onClick={() => navigate('messages/templates/new')} data-testid="new-template">
            {t('msgNewTemplate')}
          </Button>
        )
      }
    >
      <Space wrap style={{ marginBottom: 16 }}>
        <Select<ChannelName>
          allowClear
          placeholder={t('msgAllChannels')}
          style={{ minWidth: 180 }}
          value={channel}
          onChange={setChannel}
          data-testid="template-channel-filter"
          options={TEMPLATE_CHANNELS.map((c) => ({ value: c, label: channelLabel(c) }))}
        />
        <Select
          value={status}
          onChange={setStatus}
          style={{ minWidth: 120 }}
          options={[
            { value: 'active', label: t('filterActive') },
            { value: 'archived', label: t('filterArchived') },
            { value: 'all', label: t('filterAll') },
          ]}
        />
        <Select value={limit} onChange={setLimit} options={[20, 50, 100].map((n) => ({ value: n, label: t('perPage', { n }) }))} />
      </Space>
      <ErrorAlert error={pages.error} />
      <Table<MessageTemplate>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        data-testid="templates-table"
        locale={{ emptyText: t('msgNoTemplates') }}
        columns={[
          {
            title: t('colName'),
            dataIndex: 'name',
            render: (_, tpl) => (
              <Link to={`messages/templates/${encodeURIComponent(tpl.id)}`} testId="template-link">
                {tpl.name}
              </Link>
            ),
          },
          { title: t('msgChannel'), dataIndex: 'channel', render: (c: ChannelName) => channelLabel(c) },
          { title: t('msgPurpose'), dataIndex: 'purpose', render: (p: MessageTemplate['purpose']) => <Tag>{t(`msgPurpose_${p}`)}</Tag> },
          {
            title: t('msgLocales'),
            key: 'locales',
            render: (_, tpl) =>
              Object.keys(tpl.variants).map((l) => (
                <Tag key={l} color={l === tpl.defaultLocale ? 'blue' : undefined}>
                  {l}
                </Tag>
              )),
          },
          { title: t('colVersion'), dataIndex: 'version' },
          {
            title: t('colStatus'),
            dataIndex: 'status',
            render: (s: MessageTemplate['status']) => <Badge status={s === 'active' ? 'success' : 'default'} text={t(`status_${s}`)} />,
          },
          { title: t('colUpdated'), dataIndex: 'updatedAt', render: (v: string) => formatTime(v, locale) },
        ]}
      />
      <CursorPager pages={pages} testId="templates-pager" />
    </Card>
  );
}
