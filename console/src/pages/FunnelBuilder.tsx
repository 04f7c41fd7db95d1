/**
 * The funnel builder: events in order, a window, a breakdown (trait, channel code or segments) and
 * a range; the answer (POST /v1/insight/funnels) as a chart of everyone's steps and a table of
 * profiles, conversion and median time per group and step.
 */
import { Button, Card, Form, Input, InputNumber, Select, Space, Table, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { type HTMLAttributes, useEffect, useMemo, useState } from 'react';
import type { FunnelAnswer, FunnelBody, Segment } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatShare, lastDaysIn } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { EChart, formatDuration, objectsOf, type Scope, ScopeBar } from '../insight.tsx';
import { useSession } from '../session.ts';

type BreakdownKind = 'none' | 'trait' | 'channel' | 'segment';

/** The funnel builder screen. */
export function FunnelBuilderPage() {
  const { api, workspace } = useSession();
  const { t } = useI18n();
  const [steps, setSteps] = useState<string[]>(['', '']);
  const [windowDays, setWindowDays] = useState(7);
  const [kind, setKind] = useState<BreakdownKind>('none');
  const [trait, setTrait] = useState('');
  const [segmentIds, setSegmentIds] = useState<string[]>([]);
  const [segments, setSegments] = useState<Segment[]>([]);
  const [answer, setAnswer] = useState<FunnelAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);

  useEffect(() => {
    api.listSegments({ status: 'active', limit: 100 }).then(
      (p) => setSegments(p.data),
      () => undefined,
    );
  }, [api]);

  const run = async (scope: Scope) => {
    const named = steps.map((s) => s.trim()).filter(Boolean);
    if (named.length < 2) return setError(new Error(t('funnelNeedSteps')));
    const breakdown: FunnelBody['breakdown'] =
      kind === 'trait' ? { kind, trait } : kind === 'channel' ? { kind } : kind === 'segment' ? { kind, segments: segmentIds } : undefined;
    setRunning(true);
    try {
      setAnswer(await api.funnel({ ...scope, steps: named.map((event) => ({ event })), windowDays, ...(breakdown ? { breakdown } : {}) }));
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setRunning(false);
    }
  };

  const rows = useMemo(() => (answer ? objectsOf(answer) : []), [answer]);
  const segmentName = (id: string) => segments.find((s) => s.id === id)?.name ?? id;
  const groupLabel = (g: string) => (g === '*' ? t('funnelEveryone') : g === '' ? t('funnelEmptyValue') : kind === 'segment' ? segmentName(g) : g);
  const option = useMemo<EChartsOption>(() => {
    const everyone = rows.filter((r) => r.group === '*');
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 16, top: 16, bottom: 28 },
      xAxis: { type: 'category', data: everyone.map((r) => `${r.step}. ${r.event}`) },
      yAxis: { type: 'value' },
      series: [{ type: 'bar', name: t('funnelProfiles'), data: everyone.map((r) => Number(r.profiles)), label: { show: true, position: 'top' } }],
    };
  }, [rows, t]);
  const pct = (v: unknown) => (typeof v === 'number' ? formatShare(v) : '—');

  const extra = (
    <>
      <Form.Item label={t('funnelWindow')}>
        <InputNumber min={1} max={365} value={windowDays} onChange={(v) => setWindowDays(v ?? 7)} data-testid="funnel-window" />
      </Form.Item>
      <Form.Item label={t('funnelBreakdown')}>
        <Select<BreakdownKind>
          style={{ width: 140 }}
          value={kind}
          onChange={setKind}
          data-testid="funnel-breakdown"
          options={(['none', 'trait', 'channel', 'segment'] as const).map((k) => ({
            value: k,
            label: t(
              k === 'none'
                ? 'funnelBreakdownNone'
                : k === 'trait'
                  ? 'funnelBreakdownTrait'
                  : k === 'channel'
                    ? 'funnelBreakdownChannel'
                    : 'funnelBreakdownSegment',
            ),
          }))}
        />
      </Form.Item>
      {kind === 'trait' && (
        <Form.Item label={t('funnelTraitName')}>
          <Input value={trait} onChange={(e) => setTrait(e.target.value)} data-testid="funnel-trait" />
        </Form.Item>
      )}
      {kind === 'segment' && (
        <Form.Item>
          <Select
            mode="multiple"
            style={{ minWidth: 220 }}
            value={segmentIds}
            onChange={setSegmentIds}
            options={segments.map((s) => ({ value: s.id, label: s.name }))}
          />
        </Form.Item>
      )}
    </>
  );

  return (
    <div data-testid="funnel-builder">
      <Typography.Title level={3}>{t('funnelTitle')}</Typography.Title>
      <Card size="small" title={t('funnelSteps')} style={{ marginBottom: 16 }}>
        <Space direction="vertical" style={{ width: '100%' }}>
          {steps.map((s, i) => (
            <Space key={i}>
              <span style={{ width: 64, display: 'inline-block' }}>{t('funnelStepN', { n: i + 1 })}</span>
              <Input
                style={{ width: 320 }}
                value={s}
                placeholder={t('funnelEventPlaceholder')}
                onChange={(e) => setSteps(steps.map((x, j) => (j === i ? e.target.value : x)))}
                data-testid={`funnel-step-${i}`}
              />
              {steps.length > 2 && <Button onClick={() => setSteps(steps.filter((_, j) => j !== i))}>{t('funnelRemoveStep')}</Button>}
            </Space>
          ))}
          {steps.length < 8 && (
            <Button onClick={() => setSteps([...steps, ''])} data-testid="funnel-add-step">
              {t('funnelAddStep')}
            </Button>
          )}
        </Space>
      </Card>
      <ScopeBar value={lastDaysIn(30, workspace.timeZone)} onApply={(s) => void run(s)} extra={extra} applyLabel={t('funnelRun')} testId="funnel" />
      <ErrorAlert error={error} testId="funnel-error" />
      {answer && (
        <Space direction="vertical" style={{ width: '100%' }} size="large">
          <Card size="small">
            <EChart option={option} testId="funnel-chart" />
          </Card>
          <Table
            size="small"
            loading={running}
            rowKey={(r) => `${r.group}:${r.step}`}
            dataSource={rows}
            pagination={false}
            data-testid="funnel-result"
            onRow={(r) => ({ 'data-testid': `funnel-row-${r.group === '*' ? 'all' : r.group}-${r.step}` }) as HTMLAttributes<HTMLElement>}
            columns={[
              { title: t('funnelGroup'), dataIndex: 'group', render: (g: string) => groupLabel(g) },
              { title: t('funnelStep'), dataIndex: 'step' },
              { title: t('funnelEvent'), dataIndex: 'event' },
              { title: t('funnelProfiles'), dataIndex: 'profiles', render: (v: number) => <span data-testid="profiles">{v}</span> },
              { title: t('funnelConvPrev'), dataIndex: 'conversion_from_previous', render: (v: unknown) => <span data-testid="conv-prev">{pct(v)}</span> },
              { title: t('funnelConvFirst'), dataIndex: 'conversion_from_first', render: pct },
              {
                title: t('funnelMedian'),
                dataIndex: 'median_ms_from_previous',
                render: (v: number | null) => <span data-testid="median">{formatDuration(v)}</span>,
              },
            ]}
          />
        </Space>
      )}
    </div>
  );
}
