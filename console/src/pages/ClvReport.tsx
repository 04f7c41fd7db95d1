/**
 * Predicted customer lifetime value (GET /v1/insight/clv): the current BG/NBD + Gamma-Gamma model,
 * the distribution of predicted value as bars, "fit now" (POST /v1/insight/clv/fit), and the
 * at-risk high-value list (GET /v1/insight/clv/at-risk), paged.
 */
import { App as AntApp, Button, Card, Descriptions, Empty, InputNumber, Popconfirm, Space, Spin, Table, Typography } from 'antd';
import { type HTMLAttributes, useCallback, useEffect, useState } from 'react';
import { ApiError, type ClvBucket, type ClvOverview, type ClvPrediction } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatCount, formatMoney, formatShare, formatTime } from '../format.ts';
import { type I18n, useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';

/** The distribution as horizontal bars (plain CSS: the console has no chart library). */
function Distribution({ buckets, money, t }: { buckets: ClvBucket[]; money: (fen: number) => string; t: I18n['t'] }) {
  const most = Math.max(1, ...buckets.map((b) => b.profiles));
  return (
    <div data-testid="clv-distribution" style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr max-content', gap: '6px 12px', alignItems: 'center' }}>
      {buckets.map((b) => (
        <div key={b.fromFen} style={{ display: 'contents' }} data-testid="clv-bucket">
          <Typography.Text style={{ fontVariantNumeric: 'tabular-nums' }}>
            {b.toFen === null ? t('clvBucketOpen', { from: money(b.fromFen) }) : `${money(b.fromFen)} – ${money(b.toFen)}`}
          </Typography.Text>
          <div style={{ background: '#f0f0f0', borderRadius: 3, height: 14 }}>
            <div style={{ width: `${(100 * b.profiles) / most}%`, minWidth: b.profiles ? 2 : 0, background: '#1677ff', borderRadius: 3, height: '100%' }} />
          </div>
          <Typography.Text type="secondary" data-testid="clv-bucket-count" style={{ fontVariantNumeric: 'tabular-nums' }}>
            {t('clvProfiles', { n: b.profiles })}
          </Typography.Text>
        </div>
      ))}
    </div>
  );
}

/** The model's figures and parameters. */
function ModelFacts({ overview, money }: { overview: ClvOverview; money: (fen: number) => string }) {
  const { t, locale } = useI18n();
  const m = overview.model;
  const fixed = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));
  return (
    <Descriptions
      bordered
      size="small"
      column={{ xs: 1, md: 3 }}
      style={{ marginBottom: 16 }}
      items={[
        { key: 'fittedAt', label: t('clvFittedAt'), children: formatTime(m.fittedAt, locale) },
        { key: 'end', label: t('clvCalibrationEnd'), children: m.calibrationEnd },
        { key: 'customers', label: t('clvCustomers'), children: <span data-testid="clv-customers">{formatCount(m.customers, locale)}</span> },
        { key: 'repeat', label: t('clvRepeatCustomers'), children: formatCount(m.repeatCustomers, locale) },
        { key: 'total', label: t('clvTotal'), children: money(overview.totals.clvFen) },
        {
          key: 'horizon',
          label: t('clvHorizon'),
          children: t('clvHorizonValue', { months: m.options.horizonMonths, discount: +(m.options.monthlyDiscount * 100).toFixed(2) }),
        },
        {
          key: 'bg',
          label: t('clvBgNbd'),
          span: 3,
          children: `r = ${fixed(m.bgNbd.r)}, α = ${fixed(m.bgNbd.alpha)}, a = ${fixed(m.bgNbd.a)}, b = ${fixed(m.bgNbd.b)} (LL ${m.bgNbd.logLikelihood.toFixed(1)})`,
        },
        {
          key: 'gg',
          label: t('clvGammaGamma'),
          span: 3,
          children: `p = ${fixed(m.gammaGamma.p)}, q = ${fixed(m.gammaGamma.q)}, γ = ${fixed(m.gammaGamma.gamma)} (LL ${m.gammaGamma.logLikelihood.toFixed(1)})`,
        },
      ]}
    />
  );
}

/** The at-risk high-value list with its P(alive) threshold. */
function AtRiskList({ purchaseDays, money, reloadKey }: { purchaseDays: number; money: (fen: number) => string; reloadKey: number }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [maxPAlive, setMaxPAlive] = useState(0.3);
  const fetchPage = useCallback((cursor: string | undefined) => api.clvAtRisk({ maxPAlive, limit: 20, ...(cursor ? { cursor } : {}) }), [api, maxPAlive]);
  const pages = useCursorPages<ClvPrediction>(fetchPage, `${maxPAlive}:${reloadKey}`);
  return (
    <Card
      title={t('clvAtRiskTitle')}
      extra={
        <Space>
          <Typography.Text>{t('clvMaxPAlive')}</Typography.Text>
          <span data-testid="clv-max-p-alive">
            <InputNumber<number>
              min={0.0001}
              max={1}
              step={0.05}
              precision={4}
              value={maxPAlive}
              onChange={(v) => v !== null && setMaxPAlive(v)}
              style={{ width: 90 }}
            />
          </span>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">{t('clvAtRiskHelp')}</Typography.Paragraph>
      {pages.error !== null && <ErrorAlert error={pages.error} />}
      <Table<ClvPrediction>
        data-testid="clv-at-risk"
        rowKey="profileId"
        size="small"
        loading={pages.loading}
        pagination={false}
        dataSource={pages.rows}
        locale={{ emptyText: t('clvNoAtRisk') }}
        onRow={() => ({ 'data-testid': 'clv-at-risk-row' }) as HTMLAttributes<HTMLElement>}
        columns={[
          { key: 'profile', title: t('clvColProfile'), render: (_, r) => <Typography.Text code>{r.profileId}</Typography.Text> },
          { key: 'pAlive', title: t('clvColPAlive'), align: 'right', render: (_, r) => (r.pAlive > 0 && r.pAlive < 0.001 ? '< 0.1%' : formatShare(r.pAlive)) },
          { key: 'expected', title: t('clvColExpected', { days: purchaseDays }), align: 'right', render: (_, r) => r.expectedPurchases.toFixed(2) },
          { key: 'order', title: t('clvColOrderValue'), align: 'right', render: (_, r) => money(Math.round(r.expectedOrderFen)) },
          { key: 'clv', title: t('clvColClv'), align: 'right', render: (_, r) => <span data-testid="clv-at-risk-value">{money(r.clvFen)}</span> },
          { key: 'spent', title: t('clvColSpent'), align: 'right', render: (_, r) => money(r.totalFen) },
          { key: 'last', title: t('clvColLast'), render: (_, r) => r.lastPurchaseDate },
        ]}
      />
      <CursorPager pages={pages} testId="clv-at-risk-pager" />
    </Card>
  );
}

/** The CLV screen. */
export function ClvReportPage() {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [overview, setOverview] = useState<ClvOverview | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [fitError, setFitError] = useState<unknown>(null);
  const [fitting, setFitting] = useState(false);
  const [tick, setTick] = useState(0);
  const currency = workspace.settings.currency ?? 'CNY';
  const money = (fen: number) => formatMoney(fen, currency, locale);

  useEffect(() => {
    let live = true;
    api.clvOverview().then(
      (o) => {
        if (!live) return;
        setOverview(o);
        setError(null);
      },
      // No model yet is a state of the screen, not an error.
      (err: unknown) => live && (err instanceof ApiError && err.code === 'CLV_NOT_FITTED' ? setOverview(null) : setError(err)),
    );
    return () => {
      live = false;
    };
  }, [api, tick]);

  const fit = async () => {
    setFitting(true);
    setFitError(null);
    try {
      const res = await api.fitClv();
      message.success(t('clvFitDone', { customers: res.model.customers, traits: res.traitsWritten }));
      setTick((n) => n + 1);
    } catch (err) {
      setFitError(err);
    } finally {
      setFitting(false);
    }
  };

  if (error) return <ErrorAlert error={error} />;
  if (overview === undefined) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Card
        title={t('clvTitle')}
        extra={
          <Space>
            <Button onClick={() => setTick((n) => n + 1)}>{t('refresh')}</Button>
            <Popconfirm title={t('clvFitConfirm')} okText={t('clvFitNow')} cancelText={t('cancel')} onConfirm={fit}>
              <Button type="primary" loading={fitting} data-testid="clv-fit">
                {t('clvFitNow')}
              </Button>
            </Popconfirm>
          </Space>
        }
      >
        {fitError !== null && (
          <div style={{ marginBottom: 16 }}>
            <ErrorAlert error={fitError} testId="clv-fit-error" />
          </div>
        )}
        {overview === null ? (
          <Empty description={<span data-testid="clv-not-fitted">{t('clvNotFitted')}</span>} />
        ) : (
          <>
            <ModelFacts overview={overview} money={money} />
            <Typography.Paragraph data-testid="clv-at-risk-summary">
              {t('clvAtRiskSummary', { n: formatCount(overview.totals.atRiskProfiles, locale), value: money(overview.totals.atRiskClvFen) })}
            </Typography.Paragraph>
            <Typography.Title level={5}>{t('clvDistribution')}</Typography.Title>
            <Distribution buckets={overview.distribution.bars} money={money} t={t} />
          </>
        )}
      </Card>
      {overview && <AtRiskList purchaseDays={overview.model.options.purchaseDays} money={money} reloadKey={tick} />}
    </Space>
  );
}
