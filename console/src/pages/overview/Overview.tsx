/**
 * The overview, home of owners, operators and analysts: today's key figures beside those of a
 * date range (the last 30 days unless another is picked) — new profiles, new WeCom contacts and net
 * growth, group joins and quits, messages sent and failed, journey conversions, orders and
 * revenue — and charts of the range: daily growth, groups and sales, messages by channel, new
 * contacts by channel code and conversions by journey. Every figure is an insight metric
 * (GET /v1/insight/metrics/:metric, docs/insight-metrics.md), in the workspace's time zone.
 */
import { Button, Card, Col, Empty, Input, Row, Segmented, Space, Spin, Statistic, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import type { MetricAnswer, MetricName } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { DemoBanner } from '../../DemoBanner.tsx';
import { formatCount, formatMoney, todayIn } from '../../format.ts';
import { type MessageKey, useI18n } from '../../i18n.ts';
import { EChart } from '../../insight.tsx';
import { navigate } from '../../router.tsx';
import { useSession } from '../../session.ts';
import { barsChart, dailyChart, daysOf } from './charts.ts';

const RANGE_METRICS = [
  'sales',
  'new-profiles',
  'contacts',
  'contacts-by-channel',
  'groups',
  'messages',
  'journey-conversions',
] as const satisfies readonly MetricName[];
const TODAY_METRICS = ['sales', 'new-profiles', 'contacts', 'groups', 'messages', 'journey-conversions'] as const satisfies readonly MetricName[];
type RangeAnswers = Record<(typeof RANGE_METRICS)[number], MetricAnswer>;
type TodayAnswers = Record<(typeof TODAY_METRICS)[number], MetricAnswer>;

/** A date `days` days before another. */
const minusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

type Preset = '7' | '30' | '90' | 'custom';

/** Sums a column over a table answer's rows. */
const sum = (a: MetricAnswer, column: string) => a.rows.reduce((n, r) => n + Number(r[a.columns.indexOf(column)] ?? 0), 0);

/** The headline figures of a set of answers, in display order. */
function figures(a: TodayAnswers, money: (fen: number) => string, count: (n: number) => string): { id: string; label: MessageKey; value: string }[] {
  const total = (m: MetricAnswer, k: string) => Number(m.totals?.[k] ?? 0);
  return [
    { id: 'new-profiles', label: 'ovNewProfiles', value: count(total(a['new-profiles'], 'new_profiles')) },
    { id: 'contacts-added', label: 'ovContactsAdded', value: count(total(a.contacts, 'added')) },
    { id: 'contacts-net', label: 'ovContactsNet', value: count(total(a.contacts, 'net')) },
    { id: 'group-joins', label: 'ovGroupJoins', value: count(total(a.groups, 'joins')) },
    { id: 'group-quits', label: 'ovGroupQuits', value: count(total(a.groups, 'quits')) },
    { id: 'messages-sent', label: 'ovMessagesSent', value: count(sum(a.messages, 'sent')) },
    { id: 'messages-failed', label: 'ovMessagesFailed', value: count(sum(a.messages, 'failed')) },
    { id: 'conversions', label: 'ovConversions', value: count(total(a['journey-conversions'], 'conversions')) },
    { id: 'orders', label: 'ovOrders', value: count(total(a.sales, 'orders')) },
    { id: 'revenue', label: 'ovRevenue', value: money(total(a.sales, 'net_fen')) },
  ];
}

/** A row of headline figures. */
function Figures({ title, items, prefix }: { title: ReactNode; items: ReturnType<typeof figures>; prefix: string }) {
  const { t } = useI18n();
  return (
    <Card size="small" title={title} style={{ marginBottom: 16 }} data-testid={`${prefix}-figures`}>
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(140px, 1fr))', gap: 12 }}>
        {items.map((f) => (
          <Statistic key={f.id} title={t(f.label)} value={f.value} valueRender={() => <span data-testid={`${prefix}-${f.id}`}>{f.value}</span>} />
        ))}
      </div>
    </Card>
  );
}

/** A chart in a card, or an empty state when the answer has no rows. */
function ChartCard({ title, option, empty, testId }: { title: string; option: EChartsOption; empty: boolean; testId: string }) {
  const { t } = useI18n();
  return (
    <Card size="small" title={title}>
      {empty ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('ovNoData')} data-testid={`${testId}-empty`} />
      ) : (
        <EChart option={option} height={260} testId={testId} />
      )}
    </Card>
  );
}

/** The overview screen. */
export function OverviewPage() {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const settings = workspace.settings as { currency?: unknown };
  const today = todayIn(workspace.timeZone);
  const currency = typeof settings.currency === 'string' ? settings.currency : 'CNY';
  const [preset, setPreset] = useState<Preset>('30');
  const [range, setRange] = useState({ from: minusDays(today, 29), to: today });
  const [draft, setDraft] = useState(range);
  const [rangeAnswers, setRangeAnswers] = useState<RangeAnswers | null>(null);
  const [todayAnswers, setTodayAnswers] = useState<TodayAnswers | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    setRangeAnswers(null);
    Promise.all(RANGE_METRICS.map((m) => api.metric(m, range))).then(
      (list) => {
        if (!live) return;
        setRangeAnswers(Object.fromEntries(RANGE_METRICS.map((m, i) => [m, list[i]!])) as RangeAnswers);
        setError(null);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, range, reload]);

  useEffect(() => {
    let live = true;
    Promise.all(TODAY_METRICS.map((m) => api.metric(m, { from: today, to: today }))).then(
      (list) => live && setTodayAnswers(Object.fromEntries(TODAY_METRICS.map((m, i) => [m, list[i]!])) as TodayAnswers),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, today, reload]);

  const pick = (p: Preset) => {
    setPreset(p);
    if (p === 'custom') return;
    const next = { from: minusDays(today, Number(p) - 1), to: today };
    setDraft(next);
    setRange(next);
  };

  const money = (fen: number) => formatMoney(fen, currency, locale);
  const count = (n: number) => formatCount(n, locale);
  const charts = useMemo(() => {
    if (!rangeAnswers) return null;
    const a = rangeAnswers;
    const days = daysOf(a.sales.scope.from, a.sales.scope.to);
    return {
      growth: dailyChart(days, [
        { answer: a['new-profiles'], column: 'new_profiles', name: t('ovNewProfiles'), type: 'bar' },
        { answer: a.contacts, column: 'added', name: t('ovContactsAdded'), type: 'bar' },
        { answer: a.contacts, column: 'deleted', name: t('ovContactsDeleted'), type: 'bar', scale: -1 },
        { answer: a.contacts, column: 'net', name: t('ovContactsNet'), type: 'line' },
      ]),
      groups: dailyChart(days, [
        { answer: a.groups, column: 'joins', name: t('ovGroupJoins'), type: 'bar' },
        { answer: a.groups, column: 'quits', name: t('ovGroupQuits'), type: 'bar', scale: -1 },
        { answer: a.groups, column: 'net', name: t('ovGroupNet'), type: 'line' },
      ]),
      sales: dailyChart(days, [
        { answer: a.sales, column: 'net_fen', name: t('ovRevenue'), type: 'bar', scale: 0.01 },
        { answer: a.sales, column: 'orders', name: t('ovOrders'), type: 'line', right: true },
      ]),
      messages: barsChart(a.messages, {
        label: (r) => String(r.key || '—'),
        sortBy: 'sent',
        columns: (['sent', 'delivered', 'opened', 'clicked', 'failed'] as const).map((c) => ({ column: c, name: t(`ovMsg_${c}`) })),
      }),
      channels: barsChart(a['contacts-by-channel'], {
        label: (r) => String(r.channel_name || r.channel_code || t('ovNoChannel')),
        sortBy: 'added',
        horizontal: true,
        columns: [
          { column: 'added', name: t('ovContactsAdded') },
          { column: 'net', name: t('ovContactsNet') },
        ],
      }),
      journeys: barsChart(a['journey-conversions'], {
        label: (r) => String(r.journey_name ?? r.journey_id),
        sortBy: 'conversions',
        horizontal: true,
        columns: [
          { column: 'entered', name: t('ovJourneyEntered') },
          { column: 'conversions', name: t('ovConversions') },
        ],
      }),
    };
  }, [rangeAnswers, t]);

  const rangeLabel = rangeAnswers ? `${rangeAnswers.sales.scope.from} – ${rangeAnswers.sales.scope.to}` : `${range.from} – ${range.to}`;
  return (
    <div data-testid="overview">
      <DemoBanner onLoaded={() => setReload((n) => n + 1)} />
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('ovTitle')}
        </Typography.Title>
        <Space wrap>
          <Segmented<Preset>
            value={preset}
            onChange={pick}
            data-testid="ov-preset"
            options={[
              { value: '7', label: t('ovLast7') },
              { value: '30', label: <span data-testid="ov-preset-30">{t('ovLast30')}</span> },
              { value: '90', label: t('ovLast90') },
              { value: 'custom', label: <span data-testid="ov-preset-custom">{t('ovCustom')}</span> },
            ]}
          />
          {preset === 'custom' && (
            <Space.Compact>
              <Input type="date" value={draft.from} max={draft.to} onChange={(e) => setDraft({ ...draft, from: e.target.value })} data-testid="ov-from" />
              <Input type="date" value={draft.to} min={draft.from} onChange={(e) => setDraft({ ...draft, to: e.target.value })} data-testid="ov-to" />
              <Button type="primary" onClick={() => setRange(draft)} data-testid="ov-apply">
                {t('insApply')}
              </Button>
            </Space.Compact>
          )}
        </Space>
      </Space>
      <ErrorAlert error={error} testId="ov-error" />
      {todayAnswers ? (
        <Figures title={t('ovToday', { date: today })} items={figures(todayAnswers, money, count)} prefix="today" />
      ) : (
        <Spin style={{ display: 'block', margin: 24 }} />
      )}
      {rangeAnswers && charts ? (
        <>
          <Figures title={t('ovRange', { range: rangeLabel })} items={figures(rangeAnswers, money, count)} prefix="range" />
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={12}>
              <ChartCard title={t('ovGrowthChart')} option={charts.growth} empty={false} testId="ov-chart-growth" />
            </Col>
            <Col xs={24} xl={12}>
              <ChartCard title={t('ovSalesChart')} option={charts.sales} empty={false} testId="ov-chart-sales" />
            </Col>
            <Col xs={24} xl={12}>
              <ChartCard title={t('ovMessagesChart')} option={charts.messages} empty={rangeAnswers.messages.rows.length === 0} testId="ov-chart-messages" />
            </Col>
            <Col xs={24} xl={12}>
              <ChartCard title={t('ovGroupsChart')} option={charts.groups} empty={false} testId="ov-chart-groups" />
            </Col>
            <Col xs={24} xl={12}>
              <ChartCard
                title={t('ovChannelsChart')}
                option={charts.channels}
                empty={rangeAnswers['contacts-by-channel'].rows.length === 0}
                testId="ov-chart-channels"
              />
            </Col>
            <Col xs={24} xl={12}>
              <ChartCard
                title={t('ovJourneysChart')}
                option={charts.journeys}
                empty={rangeAnswers['journey-conversions'].rows.length === 0}
                testId="ov-chart-journeys"
              />
            </Col>
          </Row>
          <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
            {t('ovNote', { tz: rangeAnswers.sales.scope.timeZone })} <Typography.Link onClick={() => navigate('insight')}>{t('ovMoreInsight')}</Typography.Link>
          </Typography.Paragraph>
        </>
      ) : (
        !error && <Spin style={{ display: 'block', margin: 48 }} />
      )}
    </div>
  );
}
