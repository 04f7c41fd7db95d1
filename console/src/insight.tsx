/**
 * Pieces the insight screens share: a lazily loaded ECharts chart (the library is a separate chunk,
 * fetched the first time a chart is shown), the range and segment bar, and table helpers.
 */
import { Button, Form, Input, Select, Space } from 'antd';
import type { EChartsOption } from 'echarts';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import type { Segment } from './api.ts';
import { useI18n } from './i18n.ts';
import { useSession } from './session.ts';

/** A chart of `option`; ECharts itself is imported on first use (its own chunk, not in the main bundle). */
export function EChart({ option, height = 280, testId }: { option: EChartsOption; height?: number; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const { t } = useI18n();
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let live = true;
    let chart: { setOption(o: EChartsOption): void; resize(): void; dispose(): void } | undefined;
    const onResize = () => chart?.resize();
    void import('./echarts-setup.ts').then((echarts) => {
      if (!live || !ref.current) return;
      chart = echarts.init(ref.current);
      chart.setOption(option);
      setReady(true);
      window.addEventListener('resize', onResize);
    });
    return () => {
      live = false;
      window.removeEventListener('resize', onResize);
      chart?.dispose();
    };
  }, [option]);
  return (
    <div style={{ position: 'relative' }}>
      {!ready && <div style={{ position: 'absolute', inset: 0, color: '#999', padding: 8 }}>{t('insChartLoading')}</div>}
      <div ref={ref} style={{ height }} data-testid={testId} data-ready={ready ? 'true' : 'false'} />
    </div>
  );
}

/** A range of local dates and an optional segment, as every insight query takes them. */
export interface Scope {
  from: string;
  to: string;
  segment?: string;
}

/** The range and segment inputs with an apply button (`extra` adds fields of the screen's own). */
export function ScopeBar({
  value,
  onApply,
  extra,
  applyLabel,
  testId = 'scope',
}: {
  value: Scope;
  onApply: (s: Scope) => void;
  extra?: ReactNode;
  applyLabel?: string;
  testId?: string;
}) {
  const { api } = useSession();
  const { t } = useI18n();
  const [draft, setDraft] = useState<Scope>(value);
  const [segments, setSegments] = useState<Segment[]>([]);
  useEffect(() => {
    let live = true;
    api.listSegments({ status: 'active', limit: 100 }).then(
      (p) => live && setSegments(p.data),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api]);
  return (
    <Form layout="inline" style={{ rowGap: 8, marginBottom: 16 }} onFinish={() => onApply(draft)}>
      <Form.Item label={t('insFrom')}>
        <Input type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} data-testid={`${testId}-from`} />
      </Form.Item>
      <Form.Item label={t('insTo')}>
        <Input type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} data-testid={`${testId}-to`} />
      </Form.Item>
      <Form.Item label={t('insSegment')}>
        <Select
          allowClear
          style={{ minWidth: 200 }}
          placeholder={t('insAllProfiles')}
          value={draft.segment}
          onChange={(v?: string) => setDraft({ ...draft, segment: v })}
          options={segments.map((s) => ({ value: s.id, label: s.name }))}
          data-testid={`${testId}-segment`}
        />
      </Form.Item>
      {extra}
      <Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" data-testid={`${testId}-apply`}>
            {applyLabel ?? t('insApply')}
          </Button>
        </Space>
      </Form.Item>
    </Form>
  );
}

/** A table answer's rows as objects keyed by column. */
export function objectsOf(answer: { columns: string[]; rows: (string | number | null)[][] }): Record<string, string | number | null>[] {
  return answer.rows.map((r) => Object.fromEntries(answer.columns.map((c, i) => [c, r[i] ?? null])));
}

/** A duration in milliseconds as minutes, hours or days. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** Saves a Blob as a file. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}
