/**
 * WeCom customers (GET /v1/wecom/contacts): each with the staff who follow them (or did), the
 * remark and corp tags each put on them, paged by the API's cursor; filtered by owner, corp tag,
 * name and whether anyone still follows them.
 */
import { Avatar, Card, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { ScrmContact } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.ts';
import { CorpTagSelect, StaffSelect, useCorpTags, useStaffList } from './shared.tsx';

/** The customers list; `?owner=` (from the staff list) preselects an owner. */
export function ContactsPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const staff = useStaffList();
  const tags = useCorpTags();
  const [filter, setFilter] = useState<{ q?: string; owner?: string; tag?: string; status?: 'following' | 'lost' }>(() => ({
    owner: new URLSearchParams(window.location.search).get('owner') ?? undefined,
  }));
  const [size, setSize] = useState(20);
  const pages = useCursorPages((cursor) => api.scrm.contacts({ ...filter, limit: size, cursor }), JSON.stringify([filter, size]));
  return (
    <Card title={t('scrmContactsTitle')}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search
          allowClear
          placeholder={t('scrmContactsSearch')}
          onSearch={(q) => setFilter({ ...filter, q: q || undefined })}
          style={{ width: 220 }}
          data-testid="contacts-search"
        />
        <StaffSelect
          staff={staff.data}
          includeResigned
          allowClear
          value={filter.owner}
          onChange={(v) => setFilter({ ...filter, owner: (v as string) || undefined })}
          placeholder={t('scrmOwner')}
          testId="contacts-owner"
        />
        <CorpTagSelect
          tags={tags.data}
          allowClear
          value={filter.tag}
          onChange={(v) => setFilter({ ...filter, tag: (v as string) || undefined })}
          testId="contacts-tag"
        />
        <Select
          allowClear
          placeholder={t('colStatus')}
          value={filter.status}
          onChange={(status) => setFilter({ ...filter, status })}
          style={{ width: 150 }}
          options={[
            { value: 'following', label: t('scrmStatus_following') },
            { value: 'lost', label: t('scrmStatus_lost') },
          ]}
          data-testid="contacts-status"
        />
        <Select value={size} onChange={setSize} style={{ width: 110 }} options={[20, 50, 100].map((n) => ({ value: n, label: t('perPage', { n }) }))} />
      </Space>
      <ErrorAlert error={pages.error} />
      <div data-testid="contacts-table">
        <Table<ScrmContact>
          rowKey="externalUserid"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('scrmNoContacts') }}
          columns={[
            {
              title: t('colName'),
              dataIndex: 'name',
              render: (n: string, c) => (
                <Space>
                  <Avatar src={c.avatar ?? undefined} size="small">
                    {n.slice(0, 1)}
                  </Avatar>
                  <Space orientation="vertical" size={0}>
                    <Link to={`customers/${encodeURIComponent(c.profileId)}`} testId="contact-profile">
                      {n || c.externalUserid}
                    </Link>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {c.externalUserid}
                      {c.corpName ? ` · ${c.corpName}` : ''}
                    </Typography.Text>
                  </Space>
                </Space>
              ),
            },
            {
              title: t('scrmContactType'),
              dataIndex: 'type',
              render: (v: string) => (v === 'wecom' ? t('scrmTypeWecom') : v === 'wechat' ? t('scrmTypeWechat') : '—'),
            },
            {
              title: t('scrmFollowers'),
              key: 'followers',
              render: (_, c) => (
                <Space orientation="vertical" size={2}>
                  {c.followers.map((f) => (
                    <span key={f.userid} data-testid="contact-follower" style={{ opacity: f.deletedAt ? 0.55 : 1 }}>
                      <Typography.Text delete={!!f.deletedAt}>{f.staffName ?? f.userid}</Typography.Text>
                      {f.remark && <Typography.Text type="secondary">{` (${f.remark})`}</Typography.Text>}{' '}
                      {f.deletedAt && (
                        <Tag color="red">{t(`scrmDeletedBy_${f.deletedBy === 'staff' ? 'staff' : f.deletedBy === 'transfer' ? 'transfer' : 'customer'}`)}</Tag>
                      )}
                      {f.tags.map((tag) => (
                        <Tag key={tag.id} title={tag.groupName}>
                          {tag.name}
                        </Tag>
                      ))}
                    </span>
                  ))}
                </Space>
              ),
            },
            { title: t('scrmFirstSeen'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="contacts-pager" />
    </Card>
  );
}
