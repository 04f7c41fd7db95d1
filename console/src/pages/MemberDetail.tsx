/** One member (GET /v1/loyalty/members/:id): points, tier and benefits, qualification, paid membership, tier history, and the ledger (GET /v1/profiles/:id/points/history). */
import { Card, Descriptions, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { LedgerEntry, MemberDetail } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatCount, formatTime } from '../format.ts';
import { type I18n, useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';
import { useTiers } from './MemberList.tsx';

type History = MemberDetail['history'][number];

/** The benefits as tags. */
function benefitTags(m: MemberDetail, { t }: I18n): string[] {
  const b = m.benefits;
  if (!b) return [];
  const out: string[] = [];
  if (b.discountPercent) out.push(t('lmBenefitDiscount', { percent: b.discountPercent }));
  if (b.pointsMultiplier && b.pointsMultiplier !== 1) out.push(t('lmBenefitMultiplier', { n: b.pointsMultiplier }));
  if (b.freeShipping) out.push(t('lmBenefitFreeShipping'));
  if (b.birthdayGift) out.push(t('lmBenefitBirthday', { gift: b.birthdayGift }));
  if (b.memberDayPrice) out.push(t('lmBenefitMemberDay'));
  if (b.priorityService) out.push(t('lmBenefitPriority'));
  if (b.earlyAccess) out.push(t('lmBenefitEarly'));
  return out;
}

/** The member page. */
export function MemberDetailPage({ id }: { id: string }) {
  const { api } = useSession();
  const i18n = useI18n();
  const { t, locale } = i18n;
  const [member, setMember] = useState<MemberDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    api.loyalty.get(id).then(
      (m) => live && setMember(m),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, id]);
  const ledger = useCursorPages((cursor) => api.loyalty.history(id, { limit: 20, cursor }), id);
  const tiers = useTiers();
  const tierName = (key: string | null) => (key === null ? t('lmNoTier') : (tiers.find((x) => x.key === key)?.name ?? key));
  const benefits = member ? benefitTags(member, i18n) : [];

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Card title={t('lmMemberTitle', { id })}>
        <ErrorAlert error={error} />
        {member && (
          <Descriptions column={{ xs: 1, md: 2 }} size="small">
            <Descriptions.Item label={t('lmTier')}>
              <span data-testid="member-detail-tier">{member.tier ? member.tier.name : t('lmNoTier')}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('lmBalance')}>
              <span data-testid="member-detail-balance">{formatCount(member.balance ?? 0, locale)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('lmPending')}>{formatCount(member.pending ?? 0, locale)}</Descriptions.Item>
            <Descriptions.Item label={t('lmLifetime')}>{formatCount(member.lifetimeEarned ?? 0, locale)}</Descriptions.Item>
            <Descriptions.Item label={t('lmValue')}>
              {formatCount(member.qualification?.value ?? 0, locale)}
              {member.qualification?.next && (
                <Typography.Text type="secondary">
                  {' '}
                  ({t('lmNextTier', { name: member.qualification.next.name ?? '', remaining: formatCount(member.qualification.next.remaining ?? 0, locale) })})
                </Typography.Text>
              )}
            </Descriptions.Item>
            <Descriptions.Item label={t('lmBenefits')}>
              <span data-testid="member-benefits">{benefits.length ? benefits.map((b) => <Tag key={b}>{b}</Tag>) : t('lmNoBenefits')}</span>
            </Descriptions.Item>
            {member.paidMembership && (
              <Descriptions.Item label={t('lmPaidMembership')}>
                {member.paidMembership.tier} · {t('lmPaidUntil')} {formatTime(member.paidMembership.until, locale)}
              </Descriptions.Item>
            )}
            {member.qualification?.graceUntil && (
              <Descriptions.Item label={t('lmTier')}>{t('lmGraceUntil', { until: formatTime(member.qualification.graceUntil, locale) })}</Descriptions.Item>
            )}
          </Descriptions>
        )}
      </Card>
      <Card title={t('lmTierHistory')} size="small">
        <Table<History>
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={member?.history ?? []}
          locale={{ emptyText: t('lmNoHistory') }}
          columns={[
            { title: t('lmTime'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
            { title: t('lmFrom'), dataIndex: 'from', render: (v: string | null) => tierName(v) },
            { title: t('lmTo'), dataIndex: 'to', render: (v: string | null) => tierName(v) },
            { title: t('lmReason'), dataIndex: 'reason', render: (v: History['reason']) => t(`lmReason_${v}` as const) },
            { title: t('lmValue'), dataIndex: 'value', align: 'right', render: (n: number) => formatCount(n ?? 0, locale) },
          ]}
        />
      </Card>
      <Card title={t('lmLedger')} size="small">
        <ErrorAlert error={ledger.error} />
        <div data-testid="member-ledger">
          <Table<LedgerEntry>
            rowKey="id"
            size="small"
            loading={ledger.loading}
            pagination={false}
            dataSource={ledger.rows}
            locale={{ emptyText: t('lmNoEntries') }}
            columns={[
              { title: t('lmTime'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
              { title: t('lmKind'), dataIndex: 'kind', render: (v: string) => <Tag>{v}</Tag> },
              {
                title: t('lmPoints'),
                dataIndex: 'points',
                align: 'right',
                render: (n: number) => <span data-testid="ledger-points">{formatCount(n, locale)}</span>,
              },
              { title: t('lmBalanceAfter'), dataIndex: 'balanceAfter', align: 'right', render: (n: number) => formatCount(n, locale) },
              { title: t('lmReason'), dataIndex: 'reason' },
              { title: t('lmExpires'), dataIndex: 'expiresAt', render: (v: string | null) => (v ? formatTime(v, locale) : '—') },
            ]}
          />
        </div>
        <CursorPager pages={ledger} testId="ledger-pager" />
      </Card>
    </Space>
  );
}
