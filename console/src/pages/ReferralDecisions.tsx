/** Referral decisions with their reasons (GET /v1/loyalty/referrals/decisions): every attribution accepted or refused, and why. */
import { Badge, Button, Card, Segmented, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { ReferralDecision } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatTime } from '../format.ts';
import { type MessageKey, useI18n } from '../i18n.ts';
import { navigate } from '../router.tsx';
import { useSession } from '../session.ts';

const REASONS = ['accepted', 'self_referral', 'shared_identifier', 'already_known', 'already_referred', 'velocity_limit', 'programme_disabled'];

/** A profile id as a link to the customer's page. */
export function ProfileRef({ id, testId }: { id: string; testId?: string }) {
  return (
    <Typography.Link onClick={() => navigate(`customers/${encodeURIComponent(id)}`)} data-testid={testId}>
      <Typography.Text code>{id}</Typography.Text>
    </Typography.Link>
  );
}

/** The decisions list, filtered by outcome. */
export function ReferralDecisionsPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const [outcome, setOutcome] = useState<'all' | 'accepted' | 'rejected'>('all');
  const pages = useCursorPages((cursor) => api.referrals.decisions({ limit: 20, cursor, ...(outcome === 'all' ? {} : { outcome }) }), outcome);
  const reasonText = (r: string) => (REASONS.includes(r) ? t(`refReason_${r}` as MessageKey) : r);

  return (
    <Card
      title={t('refDecisionsTitle')}
      extra={
        <Space>
          <Segmented
            value={outcome}
            onChange={(v) => setOutcome(v as typeof outcome)}
            options={[
              { value: 'all', label: t('refAll') },
              { value: 'accepted', label: t('refOutcome_accepted') },
              { value: 'rejected', label: t('refOutcome_rejected') },
            ]}
            data-testid="ref-outcome-filter"
          />
          <Button onClick={() => pages.reload()} data-testid="ref-decisions-refresh">
            {t('refresh')}
          </Button>
        </Space>
      }
    >
      <ErrorAlert error={pages.error} />
      <div data-testid="ref-decisions-table">
        <Table<ReferralDecision>
          rowKey="id"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('refNoDecisions') }}
          columns={[
            { title: t('refColTime'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
            { title: t('refColCode'), dataIndex: 'code', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
            {
              title: t('refColReferrer'),
              key: 'referrer',
              render: (_, d) => (d.referrerKind === 'staff' ? <Tag>{t('refStaff', { id: d.referrerId })}</Tag> : <ProfileRef id={d.referrerId} />),
            },
            { title: t('refColReferee'), dataIndex: 'refereeId', render: (v: string) => <ProfileRef id={v} /> },
            {
              title: t('refColOutcome'),
              dataIndex: 'outcome',
              render: (v: ReferralDecision['outcome']) => (
                <Badge status={v === 'accepted' ? 'success' : 'error'} text={<span data-testid="ref-outcome">{t(`refOutcome_${v}`)}</span>} />
              ),
            },
            { title: t('refColReason'), dataIndex: 'reason', render: (v: string) => <span data-testid="ref-reason">{reasonText(v)}</span> },
            { title: t('refColDetail'), dataIndex: 'detail', render: (v: string | null) => <Typography.Text type="secondary">{v ?? ''}</Typography.Text> },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="ref-decisions-pager" />
    </Card>
  );
}
