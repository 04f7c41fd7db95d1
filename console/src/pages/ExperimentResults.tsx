/**
 * One experiment's results (GET /v1/insight/experiments/:id/results): per group its profiles,
 * value per profile, lift with its interval and p-value, chance to win and risk; the sample ratio
 * check, the sample-size warning and the verdict in the console's language.
 */
import { Alert, Button, Card, Descriptions, Space, Spin, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { ArmResult, Experiment, ExperimentResults } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatCount, formatMoney, formatShare, formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.ts';
import { goalText } from './ExperimentList.tsx';

const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const pValue = (p: number) => (p < 0.0001 ? '< 0.0001' : p.toFixed(4));

/** The results screen of one experiment. */
export function ExperimentResultsPage({ id }: { id: string }) {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const [data, setData] = useState<{ experiment: Experiment; results: ExperimentResults } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const currency = workspace.settings.currency ?? 'CNY';

  useEffect(() => {
    let live = true;
    Promise.all([api.getExperiment(id), api.experimentResults(id)]).then(
      ([experiment, results]) => live && (setData({ experiment, results }), setError(null)),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, id, tick]);

  if (error) return <ErrorAlert error={error} />;
  if (!data) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;
  const { experiment: e, results: r } = data;
  const perProfile = (v: number) =>
    r.goal.kind === 'conversion' ? formatShare(v) : r.goal.kind === 'revenue' ? formatMoney(v, currency, locale) : v.toFixed(2);
  const level = Math.round((1 - r.settings.alpha) * 100);
  const verdictType = r.verdict.code === 'winner' ? 'success' : r.verdict.code === 'inconclusive' ? 'info' : 'warning';

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Link to="experiments">{t('allExperiments')}</Link>
      <Card title={<span data-testid="experiment-name">{e.name}</span>} extra={<Button onClick={() => setTick((n) => n + 1)}>{t('refresh')}</Button>}>
        <Descriptions size="small" column={2}>
          <Descriptions.Item label={t('expSubject')}>
            <Tag>{t(`subject_${e.subject.kind}`)}</Tag>
            {e.subject.id}
            {e.subject.stepId ? ` / ${e.subject.stepId}` : ''}
          </Descriptions.Item>
          <Descriptions.Item label={t('expGoal')}>{goalText(r.goal, t)}</Descriptions.Item>
          <Descriptions.Item label={t('colStatus')}>{t(`expStatus_${e.status}`)}</Descriptions.Item>
          <Descriptions.Item label={t('resultsTitle')}>{t('resultsComputedAt', { time: formatTime(r.computedAt, locale) })}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Alert
        type={verdictType}
        showIcon
        data-testid="verdict"
        title={<span data-testid="verdict-code">{t(`verdict_${r.verdict.code}`)}</span>}
        description={<span data-testid="verdict-text">{locale === 'en' ? r.verdict.en : r.verdict.zh}</span>}
      />
      {r.tooSmall && <Alert type="warning" showIcon data-testid="too-small" title={t('tooSmallWarning')} />}
      <Card title={t('resultsTitle')}>
        <Space wrap style={{ marginBottom: 12 }}>
          <Tag color={r.srm.mismatch ? 'error' : 'success'} data-testid="srm">
            {t(r.srm.mismatch ? 'srmBad' : 'srmOk', { p: pValue(r.srm.pValue) })}
          </Tag>
          <Tag>{t(r.settings.sequential ? 'sequentialOn' : 'fixedHorizon')}</Tag>
          {r.cupedTheta !== null && <Tag color="blue">{t('cupedOn', { theta: r.cupedTheta.toFixed(3) })}</Tag>}
        </Space>
        <div data-testid="results-table">
          <Table<ArmResult>
            rowKey="key"
            dataSource={r.table.rows}
            pagination={false}
            columns={[
              {
                title: t('colArm'),
                dataIndex: 'key',
                render: (k: string, row) => (
                  <Space size={4}>
                    <span data-testid="arm-key">{k}</span>
                    {row.baseline && <Tag color="default">{t('baselineTag')}</Tag>}
                    {k === 'holdout' && <Tag>{t('holdoutTag')}</Tag>}
                  </Space>
                ),
              },
              { title: t('colProfiles'), dataIndex: 'n', align: 'right', render: (n: number) => <span data-testid="arm-n">{formatCount(n, locale)}</span> },
              { title: t('colPerProfile'), dataIndex: 'mean', align: 'right', render: (v: number) => <span data-testid="arm-mean">{perProfile(v)}</span> },
              {
                title: t('colLift'),
                dataIndex: 'lift',
                align: 'right',
                render: (_, row) => <span data-testid="arm-lift">{row.lift ? signed(row.lift.estimate) : '—'}</span>,
              },
              {
                title: t('colInterval', { level }),
                dataIndex: 'lift',
                align: 'right',
                render: (_, row) => <span data-testid="arm-ci">{row.lift ? `${signed(row.lift.ci[0]!)} … ${signed(row.lift.ci[1]!)}` : '—'}</span>,
              },
              { title: t('colPValue'), dataIndex: 'lift', align: 'right', render: (_, row) => (row.lift ? pValue(row.lift.pValue) : '—') },
              {
                title: t('colChance'),
                dataIndex: 'chanceToWin',
                align: 'right',
                render: (v: number | null) => <span data-testid="arm-chance">{v === null ? '—' : formatShare(v)}</span>,
              },
              { title: t('colRisk'), dataIndex: 'riskVariant', align: 'right', render: (v: number | null) => (v === null ? '—' : formatShare(v)) },
            ]}
            expandable={{
              rowExpandable: (row) => row.verdict !== null,
              expandedRowRender: (row) => <Typography.Text>{row.verdict ? (locale === 'en' ? row.verdict.en : row.verdict.zh) : ''}</Typography.Text>,
            }}
          />
        </div>
      </Card>
    </Space>
  );
}
