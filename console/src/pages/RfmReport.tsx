/**
 * The RFM report (GET /v1/models/rfm/report): cell sizes and revenue shares of the last run, its
 * thresholds, a "compute now" (POST /v1/models/compute with the RFM model), the lifecycle flow
 * between stages (LifecycleFlow.tsx), and the model settings (GET and PUT /v1/models/settings, in ModelSettings.tsx).
 */
import { App as AntApp, Button, Card, Descriptions, Empty, Popconfirm, Progress, Space, Spin, Table, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { ModelSettings, RfmCellReport, RfmReport } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatCount, formatMoney, formatShare, formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';
import { ModelSettingsCard } from './ModelSettings.tsx';
import { LifecycleFlowCard } from './LifecycleFlow.tsx';

const DIMS = ['r', 'f', 'm'] as const;

function ShareBar({ share, color, testId }: { share: number; color: string; testId?: string }) {
  return (
    <Space style={{ width: '100%' }} data-testid={testId}>
      <Progress percent={Math.round(share * 1000) / 10} showInfo={false} size="small" strokeColor={color} style={{ width: 90, margin: 0 }} />
      <span style={{ fontVariantNumeric: 'tabular-nums' }}>{formatShare(share)}</span>
    </Space>
  );
}

/** The RFM report screen. */
export function RfmReportPage() {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [report, setReport] = useState<RfmReport | null>(null);
  const [settings, setSettings] = useState<ModelSettings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [computeError, setComputeError] = useState<unknown>(null);
  const [computing, setComputing] = useState(false);
  const [tick, setTick] = useState(0);
  const currency = workspace.settings.currency ?? 'CNY';

  useEffect(() => {
    let live = true;
    Promise.all([api.rfmReport(), api.modelSettings()]).then(
      ([r, s]) => {
        if (!live) return;
        setReport(r);
        setSettings(s);
        setError(null);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, tick]);

  const compute = async () => {
    setComputing(true);
    setComputeError(null);
    try {
      const res = await api.computeModels(['rfm']);
      message.success(t('computeDone', { buyers: res.rfm?.buyers ?? 0, segments: res.segmentsRecomputing.length }));
      setTick((n) => n + 1);
    } catch (err) {
      setComputeError(err);
    } finally {
      setComputing(false);
    }
  };

  if (error) return <ErrorAlert error={error} />;
  if (!report || !settings) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;

  const money = (fen: number) => formatMoney(fen, currency, locale);
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Card
        title={t('rfmTitle')}
        extra={
          <Space>
            <Button onClick={() => setTick((n) => n + 1)}>{t('refresh')}</Button>
            <Popconfirm title={t('computeConfirm')} okText={t('computeNow')} cancelText={t('cancel')} onConfirm={compute}>
              <Button type="primary" loading={computing} data-testid="compute-rfm">
                {t('computeNow')}
              </Button>
            </Popconfirm>
          </Space>
        }
      >
        {computeError !== null && (
          <div style={{ marginBottom: 16 }}>
            <ErrorAlert error={computeError} testId="compute-error" />
          </div>
        )}
        {!report.computedAt ? (
          <Empty description={<span data-testid="rfm-not-run">{t('rfmNotRun')}</span>} />
        ) : (
          <>
            <Descriptions
              bordered
              size="small"
              column={{ xs: 1, md: 3 }}
              style={{ marginBottom: 16 }}
              items={[
                { key: 'computedAt', label: t('computedAt'), children: formatTime(report.computedAt, locale) },
                { key: 'buyers', label: t('buyers'), children: <span data-testid="rfm-buyers">{formatCount(report.buyers, locale)}</span> },
                { key: 'revenue', label: t('revenue'), children: money(report.revenueFen) },
                ...(report.thresholds
                  ? [
                      {
                        key: 'thresholds',
                        label: t('thresholds'),
                        span: 3,
                        children: DIMS.map((d) => (
                          <div key={d}>
                            <Typography.Text strong>{d.toUpperCase()}</Typography.Text>:{' '}
                            {report.thresholds![d].map((x) => (d === 'm' ? money(x) : x)).join(' → ')}
                            {report.thresholdSource &&
                              ` (${t(report.thresholdSource[d] === 'settings' ? 'thresholdSource_settings' : 'thresholdSource_quintiles')})`}
                            {report.split && ` · ${t('split')} ${report.split[d]}`}
                          </div>
                        )),
                      },
                    ]
                  : []),
              ]}
            />
            <div data-testid="rfm-table">
              <Table<RfmCellReport>
                rowKey="cell"
                size="small"
                pagination={false}
                dataSource={report.cells}
                scroll={{ x: 'max-content' }}
                columns={[
                  {
                    title: t('colCell'),
                    dataIndex: 'cell',
                    fixed: 'left',
                    width: 200,
                    render: (cell: string, row) => (
                      <Space orientation="vertical" size={0}>
                        <span data-testid="rfm-cell-name">{row.name[locale] ?? row.name.en ?? cell}</span>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {cell}
                        </Typography.Text>
                      </Space>
                    ),
                  },
                  {
                    title: t('colCount'),
                    dataIndex: 'count',
                    align: 'right',
                    width: 90,
                    render: (n: number) => <span data-testid="rfm-cell-count">{formatCount(n, locale)}</span>,
                  },
                  { title: t('colShare'), dataIndex: 'share', width: 150, render: (s: number) => <ShareBar share={s} color="#1677ff" /> },
                  { title: t('colRevenue'), dataIndex: 'revenueFen', align: 'right', width: 140, render: money },
                  {
                    title: t('colRevenueShare'),
                    dataIndex: 'revenueShare',
                    width: 150,
                    render: (s: number) => <ShareBar share={s} color="#52c41a" testId="rfm-revenue-share" />,
                  },
                  {
                    title: t('colAvgScores'),
                    dataIndex: 'avgScores',
                    width: 130,
                    render: (a: RfmCellReport['avgScores'], row) => (row.count ? `${a.r.toFixed(1)} / ${a.f.toFixed(1)} / ${a.m.toFixed(1)}` : t('none')),
                  },
                  {
                    title: t('colAvgDays'),
                    dataIndex: 'avgDaysSinceLastPurchase',
                    align: 'right',
                    width: 120,
                    render: (v: number, row) => (row.count ? v.toFixed(1) : t('none')),
                  },
                  {
                    title: t('colAvgOrders'),
                    dataIndex: 'avgOrders',
                    align: 'right',
                    width: 100,
                    render: (v: number, row) => (row.count ? v.toFixed(2) : t('none')),
                  },
                  {
                    title: t('colAvgSpent'),
                    dataIndex: 'avgSpentFen',
                    align: 'right',
                    width: 120,
                    render: (v: number, row) => (row.count ? money(v) : t('none')),
                  },
                ]}
              />
            </div>
          </>
        )}
      </Card>
      <LifecycleFlowCard />
      <ModelSettingsCard settings={settings} lastRun={report.thresholds} onSaved={setSettings} />
    </Space>
  );
}
