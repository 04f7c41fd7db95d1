/**
 * The lifecycle flow of a period (GET /v1/models/lifecycle/flow): a Sankey diagram from the stage
 * each moved profile had when the period began to the one it had when it ended, and the same moves
 * as a table. Shown on the RFM report page; "run the lifecycle model" is POST /v1/models/compute.
 */
import { App as AntApp, Button, Card, Descriptions, Empty, Form, Input, Space, Table, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useEffect, useMemo, useState } from 'react';
import type { LifecycleFlow } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatCount, lastDaysIn } from '../format.ts';
import { type MessageKey, useI18n } from '../i18n.ts';
import { EChart } from '../insight.tsx';
import { canChange, useSession } from '../session.ts';

type Move = LifecycleFlow['moves'][number];

const STAGE_COLORS: Record<string, string> = {
  unstaged: '#bfbfbf',
  prospect: '#69b1ff',
  new: '#95de64',
  active: '#36cfc9',
  loyal: '#b37feb',
  silent: '#ffc069',
  churned: '#ff7875',
};

/** The Sankey of the moves: start-of-period stages on the left, end-of-period stages on the right. */
function sankeyOption(moves: Move[], stageName: (s: string | null) => string, t: (k: MessageKey, v?: Record<string, string>) => string): EChartsOption {
  const start = (s: string | null) => t('lfStart', { stage: stageName(s) });
  const end = (s: string) => t('lfEnd', { stage: stageName(s) });
  const nodes = new Map<string, string>();
  for (const m of moves) {
    nodes.set(start(m.from), STAGE_COLORS[m.from ?? 'unstaged']!);
    nodes.set(end(m.to), STAGE_COLORS[m.to]!);
  }
  return {
    tooltip: { trigger: 'item' },
    series: [
      {
        type: 'sankey',
        left: 8,
        right: 96,
        nodeGap: 12,
        emphasis: { focus: 'adjacency' },
        data: [...nodes].map(([name, color]) => ({ name, itemStyle: { color } })),
        links: moves.map((m) => ({ source: start(m.from), target: end(m.to), value: m.profiles })),
        lineStyle: { color: 'gradient', opacity: 0.4 },
        label: { fontSize: 12 },
      },
    ],
  };
}

/** The lifecycle flow card. */
export function LifecycleFlowCard() {
  const { api, role, workspace } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [period, setPeriod] = useState(() => lastDaysIn(30, workspace.timeZone));
  const [draft, setDraft] = useState(period);
  const [flow, setFlow] = useState<LifecycleFlow | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [computing, setComputing] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    setLoading(true);
    api.lifecycleFlow({ from: period.from, to: period.to }).then(
      (f) => {
        if (!live) return;
        setFlow(f);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [api, period, tick]);

  const stageName = (s: string | null) => (s === null ? t('lfUnstaged') : t(`rbStage_${s}` as MessageKey));
  const option = useMemo(() => (flow?.moves.length ? sankeyOption(flow.moves, stageName, t) : null), [flow, locale]); // eslint-disable-line react-hooks/exhaustive-deps

  const compute = async () => {
    setComputing(true);
    try {
      const res = await api.computeModels(['lifecycle']);
      message.success(t('lfComputed', { changed: res.lifecycle?.changed ?? 0 }));
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    } finally {
      setComputing(false);
    }
  };

  return (
    <Card
      title={t('lfTitle')}
      data-testid="lifecycle-flow"
      extra={
        canChange(role) && (
          <Button onClick={compute} loading={computing} data-testid="compute-lifecycle">
            {t('lfComputeLifecycle')}
          </Button>
        )
      }
    >
      <Typography.Paragraph type="secondary">{t('lfHint')}</Typography.Paragraph>
      <Form layout="inline" style={{ rowGap: 8, marginBottom: 16 }} onFinish={() => setPeriod(draft)}>
        <Form.Item label={t('insFrom')}>
          <Input type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} data-testid="flow-from" />
        </Form.Item>
        <Form.Item label={t('insTo')}>
          <Input type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} data-testid="flow-to" />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={loading} data-testid="flow-apply">
            {t('lfApply')}
          </Button>
        </Form.Item>
      </Form>
      {error !== null && (
        <div style={{ marginBottom: 16 }}>
          <ErrorAlert error={error} testId="flow-error" />
        </div>
      )}
      {flow && (
        <>
          <Descriptions
            size="small"
            column={{ xs: 1, md: 3 }}
            style={{ marginBottom: 16 }}
            items={[
              { key: 'profiles', label: t('lfProfiles'), children: <span data-testid="flow-profiles">{formatCount(flow.profiles, locale)}</span> },
              { key: 'changes', label: t('lfChanges'), children: <span data-testid="flow-changes">{formatCount(flow.changes, locale)}</span> },
              { key: 'period', label: t('lfPeriod'), children: `${flow.from} – ${flow.to} (${flow.timeZone})` },
            ]}
          />
          {!option ? (
            <Empty description={<span data-testid="flow-empty">{t('lfEmpty')}</span>} />
          ) : (
            <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
              <EChart option={option} height={Math.max(260, 40 * flow.moves.length)} testId="flow-chart" />
              <div data-testid="flow-table">
                <Table<Move>
                  size="small"
                  rowKey={(m) => `${m.from}>${m.to}`}
                  pagination={false}
                  dataSource={flow.moves}
                  scroll={{ x: 'max-content' }}
                  columns={[
                    { title: t('lfColFrom'), key: 'from', render: (_: unknown, m) => stageName(m.from) },
                    {
                      title: t('lfColTo'),
                      key: 'to',
                      render: (_: unknown, m) => (
                        <>
                          {stageName(m.to)}
                          {m.from === m.to && <Typography.Text type="secondary"> ({t('lfSame')})</Typography.Text>}
                        </>
                      ),
                    },
                    {
                      title: t('lfColProfiles'),
                      dataIndex: 'profiles',
                      align: 'right',
                      render: (n: number) => <span data-testid="flow-move-count">{formatCount(n, locale)}</span>,
                    },
                  ]}
                />
              </div>
            </Space>
          )}
        </>
      )}
    </Card>
  );
}
