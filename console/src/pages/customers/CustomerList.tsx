/**
 * Customers: search by any identifier or name, filter by tag, segment, RFM cell and lifecycle
 * stage (all ANDed by the API); each row opens the profile (GET /v1/profiles). The filters start
 * from the address (`?q=&segment=&rfmCell=&lifecycleStage=`), so a segment can link here.
 */
import { Card, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { CatalogueTag, ProfileSummary, Segment } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatMoney, formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.ts';
import { LIFECYCLE_STAGES, RFM_CELLS } from '../segments/rule-model.ts';
import { displayName, keyIdentifiers } from './identifiers.ts';

/** The customers list. */
export function CustomerListPage() {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const params = new URLSearchParams(window.location.search);
  const initial = params.get('q') ?? '';
  const [q, setQ] = useState(initial);
  const [tags, setTags] = useState<string[]>([]);
  const [segment, setSegment] = useState<string | undefined>(params.get('segment') ?? undefined);
  const [cells, setCells] = useState<string[]>(params.getAll('rfmCell'));
  const [stages, setStages] = useState<string[]>(params.getAll('lifecycleStage'));
  const [catalogue, setCatalogue] = useState<CatalogueTag[]>([]);
  const [segments, setSegments] = useState<Segment[]>([]);
  useEffect(() => {
    api.tags().then(
      (p) => setCatalogue(p.data),
      () => setCatalogue([]),
    );
    api.listSegments({ status: 'active', limit: 100 }).then(
      (p) => setSegments(p.data),
      () => setSegments([]),
    );
  }, [api]);
  const pages = useCursorPages(
    (cursor) =>
      api.profiles({
        limit: 20,
        cursor,
        ...(q ? { q } : {}),
        ...(tags.length ? { tag: tags } : {}),
        ...(segment ? { segment } : {}),
        ...(cells.length ? { rfmCell: cells } : {}),
        ...(stages.length ? { lifecycleStage: stages } : {}),
      }),
    `${q}|${tags.join(',')}|${segment ?? ''}|${cells.join(',')}|${stages.join(',')}`,
  );
  const filtered = !!(q || tags.length || segment || cells.length || stages.length);
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
        <Select<string>
          allowClear
          showSearch
          optionFilterProp="label"
          placeholder={t('filterBySegment')}
          style={{ minWidth: 200 }}
          value={segment}
          onChange={(v?: string) => setSegment(v)}
          data-testid="customer-segment-filter"
          options={[
            ...segments.map((s) => ({ value: s.id, label: s.name })),
            ...(segment && !segments.some((s) => s.id === segment) ? [{ value: segment, label: segment }] : []),
          ]}
        />
        <Select<string[]>
          mode="multiple"
          allowClear
          placeholder={t('filterByRfm')}
          style={{ minWidth: 200 }}
          value={cells}
          onChange={setCells}
          data-testid="customer-rfm-filter"
          options={RFM_CELLS.map((c) => ({ value: c, label: t(`rbCell_${c}`) }))}
        />
        <Select<string[]>
          mode="multiple"
          allowClear
          placeholder={t('filterByStage')}
          style={{ minWidth: 180 }}
          value={stages}
          onChange={setStages}
          data-testid="customer-stage-filter"
          options={LIFECYCLE_STAGES.map((s) => ({ value: s, label: t(`rbStage_${s}`) }))}
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
        locale={{ emptyText: filtered ? t('customersNoMatch') : t('customersNone') }}
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
