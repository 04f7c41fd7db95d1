/** The referral and KOC leaderboard (GET /v1/loyalty/koc) and staff commissions (GET /v1/loyalty/referrals/commissions). */
import { Badge, Button, Card, Space, Table } from 'antd';
import type { Commission, KocEntry } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatCount, formatMoney, formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';
import { ProfileRef } from './ReferralDecisions.tsx';

/** The leaderboard and the commissions. */
export function ReferralLeaderboardPage() {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const currency = workspace.settings.currency ?? 'CNY';
  const koc = useCursorPages((cursor) => api.referrals.koc({ limit: 20, cursor }), 'koc');
  const commissions = useCursorPages((cursor) => api.referrals.commissions({ limit: 20, cursor }), 'commissions');
  const money = (fen: number) => formatMoney(fen, currency, locale);

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large">
      <Card
        title={t('refKocTitle')}
        extra={
          <Button onClick={() => koc.reload()} data-testid="koc-refresh">
            {t('refresh')}
          </Button>
        }
      >
        <ErrorAlert error={koc.error} />
        <div data-testid="koc-table">
          <Table<KocEntry>
            rowKey="profileId"
            loading={koc.loading}
            dataSource={koc.rows}
            pagination={false}
            scroll={{ x: true }}
            locale={{ emptyText: t('refNoKoc') }}
            columns={[
              { title: t('refColRank'), dataIndex: 'rank', render: (v: number) => <span data-testid="koc-rank">{v}</span> },
              { title: t('refColMember'), dataIndex: 'profileId', render: (v: string) => <ProfileRef id={v} testId="koc-member" /> },
              { title: t('refColScore'), dataIndex: 'score', align: 'right', render: (v: number) => <span data-testid="koc-score">{v}</span> },
              {
                title: t('refColReferrals'),
                dataIndex: 'referrals',
                align: 'right',
                render: (v: number) => <span data-testid="koc-referrals">{formatCount(v, locale)}</span>,
              },
              { title: t('refColGroupBuys'), dataIndex: 'groupBuysLed', align: 'right', render: (v: number) => formatCount(v, locale) },
              {
                title: t('refColCommunity'),
                key: 'community',
                align: 'right',
                render: (_, e) => `${e.communityScore}${e.communityRole ? ` (${e.communityRole})` : ''}`,
              },
            ]}
          />
        </div>
        <CursorPager pages={koc} testId="koc-pager" />
      </Card>
      <Card title={t('refCommissionsTitle')}>
        <ErrorAlert error={commissions.error} />
        <Table<Commission>
          rowKey="id"
          loading={commissions.loading}
          dataSource={commissions.rows}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('refNoCommissions') }}
          columns={[
            { title: t('refColTime'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
            { title: t('refColStaff'), dataIndex: 'staffId' },
            { title: t('refColOrder'), dataIndex: 'orderId' },
            { title: t('refColReferee'), dataIndex: 'refereeId', render: (v: string) => <ProfileRef id={v} /> },
            { title: t('refColOrderAmount'), dataIndex: 'orderFen', align: 'right', render: money },
            { title: t('refColCommission'), dataIndex: 'commissionFen', align: 'right', render: money },
            { title: t('refColNet'), dataIndex: 'netFen', align: 'right', render: money },
            {
              title: t('colStatus'),
              dataIndex: 'status',
              render: (v: Commission['status']) => <Badge status={v === 'earned' ? 'success' : 'default'} text={t(`refCommission_${v}`)} />,
            },
          ]}
        />
        <CursorPager pages={commissions} testId="commissions-pager" />
      </Card>
    </Space>
  );
}
