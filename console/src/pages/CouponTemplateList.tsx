/** Coupon templates with their statistics (GET /v1/loyalty/coupon-templates), and issuing one to a profile (POST /v1/loyalty/coupons/issue). */
import { App as AntApp, Badge, Button, Card, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { CouponTemplate } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatCount, formatMoney, formatShare, formatTime } from '../format.ts';
import { type I18n, useI18n } from '../i18n.ts';
import { navigate } from '../router.tsx';
import { useSession } from '../session.ts';

/** The offer in words: "满 ¥100.00 减 ¥20.00", "15% off, at most ¥30.00", ... */
export function offerText(c: CouponTemplate, { t, locale }: I18n, currency: string): string {
  const money = (fen: number | null) => formatMoney(fen ?? 0, currency, locale);
  if (c.kind === 'fixed') return t('couponOfferFixed', { amount: money(c.amountFen) });
  if (c.kind === 'threshold') return t('couponOfferThreshold', { amount: money(c.amountFen), threshold: money(c.thresholdFen) });
  if (c.kind === 'percent')
    return c.capFen === null
      ? t('couponOfferPercent', { percent: c.percentOff ?? 0 })
      : t('couponOfferPercentCap', { percent: c.percentOff ?? 0, cap: money(c.capFen) });
  return t('couponOfferFreeItem', { item: c.itemKey ?? '' });
}

/** The validity in words. */
function validityText(c: CouponTemplate, { t, locale }: I18n): string {
  const parts = [];
  if (c.validity.days !== null) parts.push(t('couponValidDays', { days: c.validity.days }));
  if (c.validity.until !== null) parts.push(t('couponValidUntil', { until: formatTime(c.validity.until, locale) }));
  return parts.join(', ');
}

/** The modal that issues one coupon of a template to a profile. */
function IssueModal({ template, onClose }: { template: CouponTemplate; onClose: (issued: boolean) => void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<{ profile: string; reason?: string }>();
  // One key per opening of the modal: a double click or a retry after a timeout issues one coupon.
  const [key] = useState(() => `console:${crypto.randomUUID()}`);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState<string | null>(null);

  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      const r = await api.issueCoupon({ template: template.id, profile: v.profile.trim(), idempotencyKey: key, ...(v.reason ? { reason: v.reason } : {}) });
      setCode(r.coupon.code);
      message.success(t('couponIssued_ok', { code: r.coupon.code }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('couponIssueTitle', { name: template.name })}
      onCancel={() => onClose(code !== null)}
      footer={
        code ? (
          <Button onClick={() => onClose(true)} data-testid="issue-done">
            {t('back')}
          </Button>
        ) : (
          <Space>
            <Button onClick={() => onClose(false)}>{t('cancel')}</Button>
            <Button type="primary" loading={busy} onClick={submit} data-testid="issue-submit">
              {t('couponIssue')}
            </Button>
          </Space>
        )
      }
    >
      <Form form={form} layout="vertical" disabled={code !== null}>
        <Form.Item name="profile" label={t('couponIssueProfile')} extra={t('couponIssueProfileHelp')} rules={[{ required: true, whitespace: true }]}>
          <Input data-testid="issue-profile" />
        </Form.Item>
        <Form.Item name="reason" label={t('couponIssueReason')}>
          <Input maxLength={500} />
        </Form.Item>
      </Form>
      <ErrorAlert error={error} testId="issue-error" />
      {code && (
        <Typography.Paragraph>
          {t('couponIssued_ok', { code: '' })}
          <Typography.Text code copyable data-testid="issued-code">
            {code}
          </Typography.Text>
        </Typography.Paragraph>
      )}
    </Modal>
  );
}

/** The coupon templates list with statistics. */
export function CouponTemplateListPage() {
  const { api, workspace } = useSession();
  const i18n = useI18n();
  const { t, locale } = i18n;
  const currency = workspace.settings.currency ?? 'CNY';
  const pages = useCursorPages((cursor) => api.listCouponTemplates({ limit: 20, cursor }), 'all');
  const [issuing, setIssuing] = useState<CouponTemplate | null>(null);
  const stat = (testId: string, v: string) => <span data-testid={testId}>{v}</span>;

  return (
    <Card
      title={t('couponsTitle')}
      extra={
        <Space>
          <Button onClick={() => pages.reload()} data-testid="coupons-refresh">
            {t('refresh')}
          </Button>
          <Button type="primary" onClick={() => navigate('coupons/new')} data-testid="new-coupon-template">
            {t('newCouponTemplate')}
          </Button>
        </Space>
      }
    >
      <ErrorAlert error={pages.error} />
      <div data-testid="coupon-templates-table">
        <Table<CouponTemplate>
          rowKey="id"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('noCouponTemplates') }}
          columns={[
            {
              title: t('colName'),
              dataIndex: 'name',
              render: (_, c) => (
                <Space orientation="vertical" size={0}>
                  <span data-testid="coupon-name">{c.name}</span>
                  <Space size={4}>
                    <Tag>{t(`couponKind_${c.kind}`)}</Tag>
                    {c.key && <Typography.Text code>{c.key}</Typography.Text>}
                  </Space>
                </Space>
              ),
            },
            { title: t('couponOffer'), key: 'offer', render: (_, c) => offerText(c, i18n, currency) },
            { title: t('couponValidity'), key: 'validity', render: (_, c) => validityText(c, i18n) },
            {
              title: t('colStatus'),
              dataIndex: 'status',
              render: (s: CouponTemplate['status']) => <Badge status={s === 'active' ? 'success' : 'default'} text={t(`couponStatus_${s}`)} />,
            },
            {
              title: t('couponStock'),
              key: 'stock',
              align: 'right',
              render: (_, c) => `${formatCount(c.created, locale)} / ${c.stock === null ? t('couponUnlimited') : formatCount(c.stock, locale)}`,
            },
            { title: t('couponIssued'), key: 'issued', align: 'right', render: (_, c) => stat('coupon-issued', formatCount(c.stats?.issued ?? 0, locale)) },
            { title: t('couponClaimed'), key: 'claimed', align: 'right', render: (_, c) => stat('coupon-claimed', formatCount(c.stats?.claimed ?? 0, locale)) },
            {
              title: t('couponRedeemed'),
              key: 'redeemed',
              align: 'right',
              render: (_, c) => stat('coupon-redeemed', formatCount(c.stats?.redeemed ?? 0, locale)),
            },
            { title: t('couponRate'), key: 'rate', align: 'right', render: (_, c) => stat('coupon-rate', formatShare(c.stats?.redemptionRate ?? 0)) },
            {
              title: t('couponRevenue'),
              key: 'revenue',
              align: 'right',
              render: (_, c) => stat('coupon-revenue', formatMoney(c.stats?.revenueFen ?? 0, currency, locale)),
            },
            {
              key: 'actions',
              render: (_, c) => (
                <Button size="small" disabled={c.status !== 'active'} onClick={() => setIssuing(c)} data-testid="issue-coupon">
                  {t('couponIssue')}
                </Button>
              ),
            },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="coupons-pager" />
      {issuing && (
        <IssueModal
          template={issuing}
          onClose={(issued) => {
            setIssuing(null);
            if (issued) pages.reload({ quiet: true });
          }}
        />
      )}
    </Card>
  );
}
