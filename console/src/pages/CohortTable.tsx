/**
 * Retention cohorts (GET /v1/insight/cohorts/report): profiles by the week or month of their first
 * purchase or first WeCom contact, and the share (or count) retained in each later period, as a
 * triangle table shaded by rate and a line per cohort.
 */
import { Card, Form, Select, Space, Switch, Table, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useEffect, useMemo, useState } from 'react';
import type { CohortAnswer, CohortQuery } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatShare, todayIn } from '../format.ts';
import { type MessageKey, useI18n } from '../i18n.ts';
import { EChart, objectsOf, type Scope, ScopeBar } from '../insight.tsx';
import { useSession } from '../session.ts';

type Options = Required<Pick<CohortQuery, 'by' | 'period' | 'retainedBy'>>;

/** The year so far in the workspace's time zone (monthly cohorts need months to compare). */
function thisYear(timeZone: string): Scope {
  const to = todayIn(timeZone);
  return { from: `${to.slice(0, 4)}-01-01`, to };
}

/** The cohort screen. */
export function CohortTablePage() {
  const { api, workspace } = useSession();
  const { t } = useI18n();
  const [scope, setScope] = useState<Scope>(() => thisYear(workspace.timeZone));
  const [opts, setOpts] = useState<Options>({ by: 'first_purchase', period: 'month', retainedBy: 'purchase' });
  const [counts, setCounts] = useState(false);
  const [answer, setAnswer] = useState<CohortAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    api.cohorts({ ...scope, ...opts }).then(
      (a) => {
        if (!live) return;
        setAnswer(a);
        setError(null);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, scope, opts]);

  const rows = useMemo(() => (answer ? objectsOf(answer) : []), [answer]);
  const periods = answer ? answer.columns.filter((c) => /^p\d+$/.test(c)).length : 0;
  const option = useMemo<EChartsOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0, type: 'scroll' },
      grid: { left: 48, right: 16, top: 32, bottom: 28 },
      xAxis: { type: 'category', data: Array.from({ length: periods }, (_, k) => `+${k}`) },
      yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
      series: rows.map((r) => ({
        type: 'line',
        name: String(r.cohort),
        data: Array.from({ length: periods }, (_, k) => (typeof r[`r${k}`] === 'number' ? Math.round((r[`r${k}`] as number) * 1000) / 10 : null)),
      })),
    }),
    [rows, periods],
  );

  const choice = <K extends keyof Options>(key: K, values: readonly Options[K][], label: MessageKey, prefix: string) => (
    <Form.Item label={t(label)}>
      <Select<Options[K]>
        style={{ width: 150 }}
        value={opts[key]}
        onChange={(v) => setOpts({ ...opts, [key]: v })}
        data-testid={`cohort-${key}`}
        options={values.map((v) => ({ value: v, label: t(`${prefix}_${v}` as MessageKey) }))}
      />
    </Form.Item>
  );
  const extra = (
    <>
      {choice('by', ['first_purchase', 'first_contact'] as const, 'cohortBy', 'cohortBy')}
      {choice('period', ['month', 'week'] as const, 'cohortPeriod', 'cohortPeriod')}
      {choice('retainedBy', ['purchase', 'activity'] as const, 'cohortRetainedBy', 'cohortRetainedBy')}
    </>
  );
  const cell = (r: Record<string, unknown>, k: number) => {
    const rate = r[`r${k}`];
    if (typeof rate !== 'number') return null;
    const text = counts ? String(r[`p${k}`]) : formatShare(rate);
    return (
      <div
        style={{ background: `rgba(22, 119, 255, ${0.08 + rate * 0.72})`, color: rate > 0.55 ? '#fff' : undefined, padding: '2px 6px', textAlign: 'right' }}
        data-testid={`cohort-cell-${r.cohort}-${k}`}
      >
        {text}
      </div>
    );
  };

  return (
    <div data-testid="cohort-page">
      <Typography.Title level={3}>{t('cohortTitle')}</Typography.Title>
      <ScopeBar value={scope} onApply={setScope} extra={extra} testId="cohort" />
      <ErrorAlert error={error} testId="cohort-error" />
      {answer && (
        <Space direction="vertical" style={{ width: '100%' }} size="large">
          <Space>
            <Switch checked={counts} onChange={setCounts} data-testid="cohort-counts" /> {t('cohortShowCounts')}
          </Space>
          <Table
            size="small"
            bordered
            rowKey={(r) => String(r.cohort)}
            dataSource={rows}
            pagination={false}
            scroll={{ x: true }}
            locale={{ emptyText: t('insNoData') }}
            data-testid="cohort-table"
            columns={[
              { title: t('cohortCohort'), dataIndex: 'cohort', fixed: 'left' },
              { title: t('cohortSize'), dataIndex: 'size' },
              ...Array.from({ length: periods }, (_, k) => ({ title: `+${k}`, key: `p${k}`, render: (_: unknown, r: Record<string, unknown>) => cell(r, k) })),
            ]}
          />
          <Card size="small">
            <EChart option={option} testId="cohort-chart" />
          </Card>
        </Space>
      )}
    </div>
  );
}
