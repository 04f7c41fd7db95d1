/**
 * One journey: the canvas (lazy chunk), a side panel editing the selected step's JSON, adding and
 * removing steps, save / publish / pause / resume / archive, and the live counts per step, the
 * conversion and the A/B split results.
 */
import { App as AntApp, Alert, Button, Card, Col, Descriptions, Input, Row, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { ApiError, type Journey, type JourneyStats, ruleProblems } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatShare } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { canChange, useSession } from '../../session.ts';
import { type CanvasDefinition, type CanvasStep, exitsOf, newStep, setExit, STEP_TYPES, stepOfPath, TRIGGER_NODE } from './graph.ts';

const JourneyCanvas = lazy(() => import('./JourneyCanvas.tsx'));

/** The journey editor screen. */
export function JourneyEditorPage({ id }: { id: string }) {
  const { api, role } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [journey, setJourney] = useState<Journey | null>(null);
  const [def, setDef] = useState<CanvasDefinition | null>(null);
  const [stats, setStats] = useState<JourneyStats | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [nodeErrors, setNodeErrors] = useState<Record<string, string[]>>({});
  const [addType, setAddType] = useState<string>('wait');
  const [dirty, setDirty] = useState(false);
  const edit = canChange(role);

  const load = useCallback(() => {
    api.journey(id).then((j) => {
      setJourney(j);
      setDef(j.definition as unknown as CanvasDefinition);
      setDirty(false);
    }, setError);
    api.journeyStats(id).then(setStats, () => setStats(null));
  }, [api, id]);
  useEffect(load, [load]);

  const selectedJson = (d: CanvasDefinition, sel: string | null) => (sel === TRIGGER_NODE ? d.trigger : d.steps.find((s) => s.id === sel));
  useEffect(() => {
    if (def) setDraft(selected ? JSON.stringify(selectedJson(def, selected) ?? {}, null, 2) : '');
  }, [selected, def]);

  if (error && !journey) return <ErrorAlert error={error} />;
  if (!journey || !def) return <Spin style={{ display: 'block', margin: '80px auto' }} />;

  const change = (next: CanvasDefinition) => {
    setDef(next);
    setDirty(true);
  };
  const applyPanel = () => {
    try {
      const value = JSON.parse(draft) as CanvasStep;
      if (selected === TRIGGER_NODE) change({ ...def, trigger: value as unknown as CanvasDefinition['trigger'] });
      else change({ ...def, steps: def.steps.map((s) => (s.id === selected ? { ...value, id: s.id } : s)) });
    } catch (err) {
      setError(new ApiError(400, 'VALIDATION_FAILED', String((err as Error).message)));
    }
  };
  const addStep = () => {
    let n = def.steps.length + 1;
    while (def.steps.some((s) => s.id === `s${n}`)) n++;
    const step = newStep(addType, `s${n}`);
    // Connected after the selected step's first free exit; with the trigger (or nothing) selected,
    // it becomes the first step and goes on to the old first step.
    const from = def.steps.find((s) => s.id === selected);
    if (!from) {
      const first = def.start ?? def.steps[0]?.id;
      const head = first && exitsOf(step).some((x) => x.key === 'next') ? setExit(step, 'next', first) : step;
      change({ ...def, start: head.id, steps: [...def.steps, head] });
    } else {
      const free = exitsOf(from).find((x) => !x.to);
      change({ ...def, steps: [...def.steps.map((s) => (s === from && free ? setExit(s, free.key, step.id) : s)), step] });
    }
    setSelected(step.id);
  };
  const removeStep = () => {
    if (!selected || selected === TRIGGER_NODE) return;
    const steps = def.steps
      .filter((s) => s.id !== selected)
      .map((s) => exitsOf(s).reduce((acc, x) => (x.to === selected ? setExit(acc, x.key, undefined) : acc), s));
    change({ ...def, steps, ...(def.start === selected ? { start: undefined } : {}) });
    setSelected(null);
  };
  const save = async (then?: 'publish') => {
    setError(null);
    setNodeErrors({});
    try {
      let j = dirty ? await api.saveJourney(id, { definition: def }) : journey;
      if (then) j = await api.journeyAction(id, then);
      setJourney(j);
      setDef(j.definition as unknown as CanvasDefinition);
      setDirty(false);
      message.success(then ? t('published') : t('saved'));
      for (const w of j.warnings ?? []) message.warning(`${w.stepId}: ${w.message}`);
    } catch (err) {
      // A refused definition: each problem on the node its JSON path points into.
      const byNode: Record<string, string[]> = {};
      for (const p of ruleProblems(err)) {
        const node = stepOfPath(def, p.path) ?? TRIGGER_NODE;
        (byNode[node] ??= []).push(`${p.path.replace(/^definition\./, '')}: ${p.message}`);
      }
      setNodeErrors(byNode);
      setError(err);
    }
  };
  const act = async (action: 'pause' | 'resume' | 'archive') => {
    try {
      setJourney(await api.journeyAction(id, action));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={
          <Space>
            <span data-testid="journey-name">{journey.name}</span>
            <Tag data-testid="journey-status">{t(`journeyStatus_${journey.status}` as 'journeyStatus_draft')}</Tag>
            {journey.currentVersion !== null && <Tag>v{journey.currentVersion}</Tag>}
            {dirty && <Tag color="orange">{t('unsaved')}</Tag>}
          </Space>
        }
        extra={
          edit && (
            <Space wrap>
              <Button onClick={() => save()} disabled={!dirty} data-testid="journey-save">
                {t('save')}
              </Button>
              <Button type="primary" onClick={() => save('publish')} data-testid="journey-publish">
                {t('publish')}
              </Button>
              {journey.status === 'active' && <Button onClick={() => act('pause')}>{t('pause')}</Button>}
              {journey.status === 'paused' && <Button onClick={() => act('resume')}>{t('resume')}</Button>}
              {journey.status !== 'archived' && (
                <Button danger onClick={() => act('archive')}>
                  {t('archive')}
                </Button>
              )}
            </Space>
          )
        }
      >
        {stats && (
          <Descriptions size="small" column={{ xs: 2, md: 6 }} data-testid="journey-stats">
            <Descriptions.Item label={t('jEntered')}>{stats.entered}</Descriptions.Item>
            <Descriptions.Item label={t('jActive')}>{stats.active}</Descriptions.Item>
            <Descriptions.Item label={t('jCompleted')}>{stats.completed}</Descriptions.Item>
            <Descriptions.Item label={t('jConverted')}>{stats.converted}</Descriptions.Item>
            <Descriptions.Item label={t('jConversion')}>{formatShare(stats.conversionRate)}</Descriptions.Item>
            <Descriptions.Item label={t('jFailed')}>{stats.failed}</Descriptions.Item>
          </Descriptions>
        )}
        <ErrorAlert error={error} testId="journey-error" />
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={16}>
          <Suspense fallback={<Spin />}>
            <JourneyCanvas
              definition={def}
              inStep={stats?.inStep}
              passed={stats?.passed}
              errors={nodeErrors}
              selected={selected}
              onSelect={setSelected}
              onChange={change}
            />
          </Suspense>
        </Col>
        <Col xs={24} lg={8}>
          <Card size="small" title={selected ? (selected === TRIGGER_NODE ? t('trigger') : selected) : t('selectNodeHint')}>
            {edit && (
              <Space wrap style={{ marginBottom: 8 }}>
                <Select
                  value={addType}
                  onChange={setAddType}
                  style={{ width: 150 }}
                  options={STEP_TYPES.map((s) => ({ value: s, label: s }))}
                  data-testid="add-step-type"
                />
                <Button onClick={addStep} data-testid="add-step">
                  {t('addStep')}
                </Button>
                <Button danger disabled={!selected || selected === TRIGGER_NODE} onClick={removeStep} data-testid="remove-step">
                  {t('remove')}
                </Button>
              </Space>
            )}
            {selected && (
              <>
                <Input.TextArea
                  value={draft}
                  onChange={(e) => setDraft(e.target.value)}
                  autoSize={{ minRows: 8, maxRows: 24 }}
                  style={{ fontFamily: 'monospace', fontSize: 12 }}
                  data-testid="step-json"
                  readOnly={!edit}
                />
                {edit && (
                  <Button style={{ marginTop: 8 }} onClick={applyPanel} data-testid="step-apply">
                    {t('apply')}
                  </Button>
                )}
                {(nodeErrors[selected] ?? []).map((e) => (
                  <Alert key={e} type="error" title={e} style={{ marginTop: 8 }} />
                ))}
              </>
            )}
          </Card>
          {stats && Object.keys(stats.splits).length > 0 && (
            <Card size="small" title={t('splitResults')} style={{ marginTop: 16 }}>
              {Object.entries(stats.splits).map(([step, groups]) => (
                <Table
                  key={step}
                  size="small"
                  pagination={false}
                  title={() => <Typography.Text strong>{step}</Typography.Text>}
                  rowKey="key"
                  dataSource={Object.entries(groups).map(([key, g]) => ({ key, ...g }))}
                  columns={[
                    { title: t('variant'), dataIndex: 'key' },
                    { title: t('jEntered'), dataIndex: 'assigned' },
                    { title: t('jConverted'), dataIndex: 'converted' },
                    { title: t('jConversion'), dataIndex: 'conversionRate', render: (v: number) => formatShare(v) },
                  ]}
                />
              ))}
            </Card>
          )}
        </Col>
      </Row>
    </Space>
  );
}
