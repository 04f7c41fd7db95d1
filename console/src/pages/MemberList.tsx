/** Loyalty members with tier and balance (GET /v1/loyalty/members), paged, filtered by tier. */
import { Button, Card, Select, Space, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import type { MemberListRow, TierView } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatCount, formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.ts';

/** The tiers of the workspace's program (for filters and names), empty while loading or without a program. */
export function useTiers(): TierView[] {
  const { api } = useSession();
  const [tiers, setTiers] = useState<TierView[]>([]);
  useEffect(() => {
    let live = true;
    api.loyalty.program().then(
      (p) => live && setTiers(p.program.tiers.map((t, rank) => ({ ...t, rank }) as TierView)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  return tiers;
}

/** The members list. */
export function MemberListPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const tiers = useTiers();
  const [tier, setTier] = useState<string>('');
  const pages = useCursorPages((cursor) => api.loyalty.list({ limit: 20, cursor, ...(tier ? { tier } : {}) }), tier);

  return (
    <Card
      title={t('lmMembersTitle')}
      extra={
        <Space>
          <Select
            style={{ minWidth: 160 }}
            value={tier}
            onChange={setTier}
            data-testid="members-tier-filter"
            options={[{ value: '', label: t('lmAllTiers') }, ...tiers.map((x) => ({ value: x.key, label: x.name })), { value: 'none', label: t('lmNoTier') }]}
          />
          <Button onClick={() => pages.reload()} data-testid="members-refresh">
            {t('refresh')}
          </Button>
        </Space>
      }
    >
      <ErrorAlert error={pages.error} />
      <div data-testid="members-table">
        <Table<MemberListRow>
          rowKey="profileId"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('lmNoMembers') }}
          columns={[
            {
              title: t('lmProfile'),
              dataIndex: 'profileId',
              render: (id: string) => (
                <Link to={`loyalty/members/${id}`} testId="member-link">
                  {id}
                </Link>
              ),
            },
            {
              title: t('lmTier'),
              key: 'tier',
              render: (_, m) =>
                m.tier ? (
                  <Tag color="gold" data-testid="member-tier">
                    {m.tier.name}
                  </Tag>
                ) : (
                  <Tag>{t('lmNoTier')}</Tag>
                ),
            },
            {
              title: t('lmBalance'),
              dataIndex: 'balance',
              align: 'right',
              render: (n: number) => <span data-testid="member-balance">{formatCount(n, locale)}</span>,
            },
            { title: t('lmPending'), dataIndex: 'pending', align: 'right', render: (n: number) => formatCount(n, locale) },
            { title: t('lmValue'), dataIndex: 'value', align: 'right', render: (n: number) => formatCount(n, locale) },
            { title: t('lmPaidUntil'), dataIndex: 'paidUntil', render: (v: string | null) => (v ? formatTime(v, locale) : '—') },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="members-pager" />
    </Card>
  );
}
