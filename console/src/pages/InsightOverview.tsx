/**
 * The insight overview: the range's headline numbers (net GMV, orders, buyers, AOV, repurchase,
 * new profiles, WeCom growth) and daily charts of sales, contacts and groups, for all profiles or
 * one segment (GET /v1/insight/metrics/:metric), each exportable as CSV.
 */
import { Button, Card, Col, Row, Spin, Statistic, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useEffect, useMemo, useState } from 'react';
import type { MetricAnswer, MetricName } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatMoney, formatShare, lastDaysIn } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { EChart, objectsOf, saveBlob, type Scope, ScopeBar } from '../insight.tsx';
import { useSession } from '../session.ts';

const METRICS = ['sales', 'repurchase', 'new-profiles', 'contacts', 'groups'] as const satisfies readonly MetricName[];
type Answers = Record<(typeof METRICS)[number], MetricAnswer>;

/** A daily chart: bars and lines over the metric's `day` column; series with `right` use a second axis (counts beside money). */
function dailyOption(answer: MetricAnswer, series: { column: string; name: string; type: 'bar' | 'line'; scale?: number; right?: boolean }[]): EChartsOption {
  const rows = objectsOf(answer);
  const twoAxes = series.some((s) => s.right);
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 56, right: twoAxes ? 48 : 16, top: 32, bottom: 28 },
    xAxis: { type: 'category', data: rows.map((r) => String(r.day)) },
    yAxis: twoAxes ? [{ type: 'value' }, { type: 'value', splitLine: { show: false } }] : { type: 'value' },
    series: series.map((s) => ({
      name: s.name,
      type: s.type,
      yAxisIndex: s.right ? 1 : 0,
      data: rows.map((r) => Number(r[s.column] ?? 0) * (s.scale ?? 1)),
    })),
  };
}

/** The overview screen. */
export function InsightOverviewPage() {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const [scope, setScope] = useState<Scope>(() => lastDaysIn(30, workspace.timeZone));
  const [answers, setAnswers] = useState<Answers | null>(null);
  const [error, setError] = useState<unknown>(null);
  const currency = workspace.settings.currency ?? 'CNY';

  useEffect(() => {
    let live = true;
    setAnswers(null);
    Promise.all(METRICS.map((m) => api.metric(m, scope))).then(
      (list) => {
        if (!live) return;
        setAnswers(Object.fromEntries(METRICS.map((m, i) => [m, list[i]!])) as Answers);
        setError(null);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, scope]);

  const charts = useMemo(() => {
    if (!answers) return null;
    return {
      sales: dailyOption(answers.sales, [
        { column: 'net_fen', name: t('insNetGmv'), type: 'bar', scale: 0.01 },
        { column: 'orders', name: t('insOrders'), type: 'line', right: true },
        { column: 'buyers', name: t('insBuyers'), type: 'line', right: true },
      ]),
      contacts: dailyOption(answers.contacts, [
        { column: 'added', name: t('insContactsAdded'), type: 'bar' },
        { column: 'deleted', name: t('insContactsDeleted'), type: 'bar', scale: -1 },
        { column: 'net', name: t('insContactsNet'), type: 'line' },
      ]),
      groups: dailyOption(answers.groups, [
        { column: 'joins', name: t('insGroupJoins'), type: 'bar' },
        { column: 'quits', name: t('insGroupQuits'), type: 'bar', scale: -1 },
        { column: 'active_members', name: t('insActiveMembers'), type: 'line' },
      ]),
    };
  }, [answers, t]);

  const exportCsv = async (m: MetricName) => saveBlob(await api.metricCsv(m, scope), `${m}-${scope.from}-${scope.to}.csv`);
  const totals = answers?.sales.totals ?? {};
  const money = (v: unknown) => (typeof v === 'number' ? formatMoney(v, currency, locale) : '—');
  const range = answers ? objectsOf(answers.repurchase).find((r) => r.basis === 'range') : undefined;
  const kpis = answers
    ? [
        { id: 'net-gmv', title: t('insNetGmv'), value: money(totals.net_fen) },
        { id: 'orders', title: t('insOrders'), value: String(totals.orders ?? 0) },
        { id: 'buyers', title: t('insBuyers'), value: String(totals.buyers ?? 0) },
        { id: 'aov', title: t('insAov'), value: money(totals.aov_fen) },
        { id: 'repurchase', title: t('insRepurchase'), value: typeof range?.rate === 'number' ? formatShare(range.rate) : '—' },
        { id: 'new-profiles', title: t('insNewProfiles'), value: String(answers['new-profiles'].totals?.new_profiles ?? 0) },
        { id: 'contacts-net', title: t('insContactsNetKpi'), value: String(answers.contacts.totals?.net ?? 0) },
      ]
    : [];
  const chartCard = (title: string, metric: MetricName, option: EChartsOption) => (
    <Card
      title={title}
      size="small"
      extra={
        <Button size="small" onClick={() => void exportCsv(metric)} data-testid={`export-${metric}`}>
          {t('insExportCsv')}
        </Button>
      }
    >
      <EChart option={option} testId={`chart-${metric}`} />
    </Card>
  );

  return (
    <div data-testid="insight-overview">
      <Typography.Title level={3}>{t('insOverviewTitle')}</Typography.Title>
      <ScopeBar value={scope} onApply={setScope} />
      <ErrorAlert error={error} testId="insight-error" />
      {answers && <Typography.Paragraph type="secondary">{t('insTimeZoneNote', { tz: answers.sales.scope.timeZone })}</Typography.Paragraph>}
      {!answers && !error && <Spin style={{ display: 'block', margin: 48 }} />}
      {answers && charts && (
        <>
          <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
            {kpis.map((k) => (
              <Col key={k.id} xs={12} md={6} xl={3}>
                <Card size="small">
                  <Statistic title={k.title} value={k.value} valueRender={() => <span data-testid={`kpi-${k.id}`}>{k.value}</span>} />
                </Card>
              </Col>
            ))}
          </Row>
          <Row gutter={[16, 16]}>
            <Col xs={24}>{chartCard(t('insSalesChart'), 'sales', charts.sales)}</Col>
            <Col xs={24} lg={12}>
              {chartCard(t('insContactsChart'), 'contacts', charts.contacts)}
            </Col>
            <Col xs={24} lg={12}>
              {chartCard(t('insGroupsChart'), 'groups', charts.groups)}
            </Col>
          </Row>
        </>
      )}
    </div>
  );
}
