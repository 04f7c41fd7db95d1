/** Customers: search by any identifier or name, filter by tag; each row opens the profile (GET /v1/profiles). */
import { Card, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { CatalogueTag, ProfileSummary } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatMoney, formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.ts';
import { displayName, keyIdentifiers } from './identifiers.ts';

/** The customers list. */
export function CustomerListPage() {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const initial = new URLSearchParams(window.location.search).get('q') ?? '';
  const [q, setQ] = useState(initial);
  const [tags, setTags] = useState<string[]>([]);
  const [catalogue, setCatalogue] = useState<CatalogueTag[]>([]);
  useEffect(() => {
    api.tags().then(
      (p) => setCatalogue(p.data),
      () => setCatalogue([]),
    );
  }, [api]);
  const pages = useCursorPages(
    (cursor) => api.profiles({ limit: 20, cursor, ...(q ? { q } : {}), ...(tags.length ? { tag: tags } : {}) }),
    `${q}|${tags.join(',')}`,
  );
  const currency = String(workspace.settings.currency ?? 'CNY');

  return (
    <Card title={t('customersTitle')}>
      <Space style={{ marginBottom: 16 }} wrap>
        <Input.Search
          allowClear
          defaultValue={initial}
          placeholder={t('customerSearchHint')}
          style={{ width: 360, maxWidth: '100%' }}
          onSearch={(v) => setQ(v.trim())}
          data-testid="customer-search"
          enterButton
        />
        <Select<string[]>
          mode="multiple"
          allowClear
          placeholder={t('filterByTag')}
          style={{ minWidth: 220 }}
          value={tags}
          onChange={setTags}
          data-testid="customer-tag-filter"
          options={catalogue.map((g) => ({ value: g.id ?? '', label: `${g.group ?? ''}/${g.name ?? ''}` }))}
        />
      </Space>
      <ErrorAlert error={pages.error} />
      <Table<ProfileSummary>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        data-testid="customers-table"
        columns={[
          {
            title: t('customer'),
            key: 'name',
            render: (_: unknown, p) => (
              <Link to={`customers/${encodeURIComponent(p.id)}`} testId="customer-link">
                {displayName(p)}
              </Link>
            ),
          },
          {
            title: t('identifiers'),
            key: 'ids',
            render: (_: unknown, p) => (
              <Space direction="vertical" size={0}>
                {keyIdentifiers(p).map((i) => (
                  <Typography.Text key={`${i.type}:${i.value}`} type="secondary" style={{ fontSize: 12 }}>
                    {i.type}: {i.value}
                  </Typography.Text>
                ))}
              </Space>
            ),
          },
          { title: t('tags'), key: 'tags', render: (_: unknown, p) => p.tags.map((g) => <Tag key={g.id}>{g.name}</Tag>) },
          { title: t('orders'), key: 'orders', render: (_: unknown, p) => p.aggregates.orderCount },
          { title: t('spent'), key: 'spent', render: (_: unknown, p) => formatMoney(p.aggregates.totalSpentFen, currency, locale) },
          { title: t('colLastSeen'), key: 'seen', render: (_: unknown, p) => formatTime(p.lastSeenAt, locale) },
        ]}
      />
      <CursorPager pages={pages} testId="customers-pager" />
    </Card>
  );
}
