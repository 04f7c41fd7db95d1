/**
 * New and edit segment: the kind (a new segment is a rule or a static list), name, description,
 * the rule in the visual builder or as JSON (switching both ways; starter templates in both), a
 * preview (POST /v1/segments/preview; live in the builder, as soon as every condition is filled
 * in) and save (POST /v1/segments or PATCH /v1/segments/:id; a changed rule becomes a new version
 * on the server).
 */
import { Alert, App as AntApp, Button, Card, Form, Input, Radio, Segmented, Select, Space, Spin, Typography } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { type Preview, ruleProblems, type SegmentDetail } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { useI18n } from '../i18n.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.ts';
import { RULE_TEMPLATES } from '../templates.ts';
import { useDataCatalog } from './segments/catalog.ts';
import { PreviewCard } from './segments/PreviewCard.tsx';
import { RuleBuilder } from './segments/RuleBuilder.tsx';
import { type BuilderNode, buildable, gapsOf, nodeOfPath, toModel, toRule } from './segments/rule-model.ts';

const pretty = (v: unknown) => JSON.stringify(v, null, 2);
const DEFAULT_TEMPLATE = RULE_TEMPLATES.find((x) => x.id === 'orders-90d') ?? RULE_TEMPLATES[0]!;

/** JSON.parse with the error's position turned into a line and column when the engine gives only an offset. */
function parseRule(text: string): { ok: true; rule: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, rule: JSON.parse(text) };
  } catch (err) {
    let message = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(message);
    if (at && !/line \d+/.test(message)) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split('\n').length;
      const column = before.length - before.lastIndexOf('\n');
      message += ` (line ${line}, column ${column})`;
    }
    return { ok: false, message };
  }
}

/** How the rule is edited: the visual builder or the JSON text. */
type Mode = 'builder' | 'json';

/** The segment editor; without `id` it creates a new segment, a rule one unless the operator picks static. */
export function SegmentEditorPage({ id }: { id?: string }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message, modal } = AntApp.useApp();
  const [form] = Form.useForm<{ name: string; description: string }>();
  const catalog = useDataCatalog(api);
  const [segment, setSegment] = useState<SegmentDetail | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [mode, setMode] = useState<Mode>('builder');
  const [model, setModel] = useState<BuilderNode>(() => toModel(DEFAULT_TEMPLATE.rule));
  const [ruleText, setRuleText] = useState(() => (id ? '' : pretty(DEFAULT_TEMPLATE.rule)));
  // The rule last put in place by loading or a template (as JSON text): replacing it needs no confirmation.
  const [pristineText, setPristineText] = useState(ruleText);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [apiError, setApiError] = useState<unknown>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState<'preview' | 'save' | null>(null);
  const [live, setLive] = useState(false);
  // Only a new segment's kind can be chosen; an existing one keeps its own.
  const [newKind, setNewKind] = useState<'rule' | 'static'>('rule');
  const previewSeq = useRef(0);

  useEffect(() => {
    if (!id) return;
    let alive = true;
    api.getSegment(id).then(
      (s) => {
        if (!alive) return;
        setSegment(s);
        const text = s.rule ? pretty(s.rule) : '';
        setRuleText(text);
        setPristineText(text);
        // A rule the builder's rows could not show opens as JSON.
        if (s.rule && buildable(s.rule)) setModel(toModel(s.rule));
        else if (s.rule) setMode('json');
      },
      (err: unknown) => alive && setLoadError(err),
    );
    return () => {
      alive = false;
    };
  }, [api, id]);

  const isStatic = segment ? segment.kind === 'static' : newKind === 'static';
  const gaps = useMemo(() => gapsOf(model), [model]);
  const builderText = useMemo(() => pretty(toRule(model)), [model]);
  const currentText = mode === 'builder' ? builderText : ruleText;
  // The server's problems on the builder's rows (by the JSON path of each).
  const problems = useMemo(() => {
    const out = new Map<string, string[]>();
    if (mode !== 'builder') return out;
    for (const p of ruleProblems(apiError)) {
      const key = nodeOfPath(model, p.path);
      if (key) out.set(key, [...(out.get(key) ?? []), `${p.path} ${p.message}`]);
    }
    return out;
  }, [apiError, model, mode]);

  const resetOutcome = () => {
    setJsonError(null);
    setApiError(null);
    setPreview(null);
  };

  const applyTemplate = (templateId: string) => {
    const tpl = RULE_TEMPLATES.find((x) => x.id === templateId);
    if (!tpl) return;
    const put = () => {
      const text = pretty(tpl.rule);
      setRuleText(text);
      setModel(toModel(tpl.rule));
      setPristineText(text);
      resetOutcome();
    };
    if (currentText.trim() === '' || currentText === pristineText) put();
    else
      modal.confirm({
        title: t('templateReplaceTitle'),
        content: t('templateReplaceBody', { name: tpl.name[locale] }),
        onOk: put,
        okText: t('yes'),
        cancelText: t('cancel'),
      });
  };

  const switchMode = (next: Mode) => {
    if (next === mode) return;
    setJsonError(null);
    setApiError(null);
    if (next === 'json') {
      setRuleText(builderText);
      setMode('json');
      return;
    }
    const r = parseRule(ruleText);
    if (!r.ok) return setJsonError(t('jsonInvalid', { message: r.message }));
    if (!buildable(r.rule)) return setJsonError(t('rbNotBuildable'));
    setModel(toModel(r.rule));
    setMode('builder');
  };

  /** The rule to send: the builder's, or the parsed JSON (undefined, with the error shown, when it is not JSON). */
  const parsed = (): unknown => {
    setJsonError(null);
    setApiError(null);
    if (mode === 'builder') return toRule(model);
    const r = parseRule(ruleText);
    if (!r.ok) {
      setJsonError(t('jsonInvalid', { message: r.message }));
      return undefined;
    }
    return r.rule;
  };

  const runPreview = async (rule: unknown, quiet = false) => {
    const seq = ++previewSeq.current;
    if (quiet) setLive(true);
    else setBusy('preview');
    try {
      const answer = await api.preview(rule, 10);
      if (seq !== previewSeq.current) return;
      setPreview(answer);
      setApiError(null);
    } catch (err) {
      if (seq !== previewSeq.current) return;
      setPreview(null);
      setApiError(err);
    } finally {
      if (seq === previewSeq.current) {
        setBusy(null);
        setLive(false);
      }
    }
  };

  // The live count: the builder's rule is previewed shortly after each change, once every row is filled in.
  useEffect(() => {
    if (mode !== 'builder' || isStatic || gaps.size > 0) return;
    const timer = setTimeout(() => void runPreview(toRule(model), true), 500);
    return () => clearTimeout(timer);
    // runPreview reads only refs and setters besides the rule it is given.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [model, mode, isStatic, gaps]);

  const previewNow = () => {
    const rule = parsed();
    if (rule !== undefined) void runPreview(rule);
  };

  const save = async () => {
    let values: { name: string; description: string };
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    let rule: unknown;
    if (!isStatic) {
      rule = parsed();
      if (rule === undefined) return;
    } else {
      setApiError(null);
    }
    setBusy('save');
    try {
      if (!segment) {
        const description = values.description || undefined;
        const created = await api.createSegment(isStatic ? { name: values.name, description, kind: 'static' } : { name: values.name, description, rule });
        message.success(t(isStatic ? 'createdStatic' : 'created'));
        navigate(`segments/${encodeURIComponent(created.id)}`);
      } else {
        const body: { name?: string; description?: string; rule?: unknown } = {};
        if (values.name !== segment.name) body.name = values.name;
        if ((values.description ?? '') !== segment.description) body.description = values.description ?? '';
        if (!isStatic) body.rule = rule;
        if (Object.keys(body).length === 0) {
          message.info(t('saved'));
          navigate(`segments/${encodeURIComponent(segment.id)}`);
          return;
        }
        const updated = await api.updateSegment(segment.id, body);
        if (updated.version > segment.version) message.success(t('savedNewVersion', { version: updated.version }));
        else message.success(isStatic ? t('saved') : t('savedSameVersion', { version: updated.version }));
        navigate(`segments/${encodeURIComponent(segment.id)}`);
      }
    } catch (err) {
      setApiError(err);
    } finally {
      setBusy(null);
    }
  };

  if (loadError) return <ErrorAlert error={loadError} />;
  if (id && !segment) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;

  return (
    <Card
      title={segment ? t('editSegmentTitle', { name: segment.name }) : t('newSegmentTitle')}
      extra={<Link to={segment ? `segments/${encodeURIComponent(segment.id)}` : 'segments'}>{t('back')}</Link>}
    >
      <Form form={form} layout="vertical" initialValues={{ name: segment?.name ?? '', description: segment?.description ?? '' }} requiredMark={false}>
        {!segment && (
          <Form.Item label={t('colKind')} extra={t(newKind === 'static' ? 'kindStaticHelp' : 'kindRuleHelp')}>
            <Radio.Group
              value={newKind}
              onChange={(e) => {
                setNewKind(e.target.value as 'rule' | 'static');
                resetOutcome();
              }}
              optionType="button"
              buttonStyle="solid"
              data-testid="segment-kind"
              options={[
                { value: 'rule', label: t('kind_rule') },
                { value: 'static', label: t('kind_static') },
              ]}
            />
          </Form.Item>
        )}
        <Form.Item name="name" label={t('name')} rules={[{ required: true, whitespace: true, max: 128, message: t('nameRequired') }]}>
          <Input maxLength={128} data-testid="segment-name" />
        </Form.Item>
        <Form.Item name="description" label={t('description')} rules={[{ max: 1000 }]}>
          <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} maxLength={1000} data-testid="segment-description" />
        </Form.Item>
      </Form>

      {isStatic ? (
        <Alert type="info" showIcon title={t(segment ? 'staticNote' : 'staticNewNote')} style={{ marginBottom: 16 }} data-testid="static-note" />
      ) : (
        <>
          {segment && (
            <Alert
              type="info"
              showIcon
              title={t('versionNote', { current: segment.version, next: segment.version + 1 })}
              style={{ marginBottom: 16 }}
              data-testid="version-note"
            />
          )}
          <Space style={{ marginBottom: 8, width: '100%', justifyContent: 'space-between' }} wrap>
            <Space wrap>
              <Typography.Text strong>{t(mode === 'builder' ? 'rbRule' : 'rule')}</Typography.Text>
              <Segmented<Mode>
                value={mode}
                onChange={switchMode}
                options={[
                  { value: 'builder', label: <span data-testid="rule-mode-builder">{t('rbModeBuilder')}</span> },
                  { value: 'json', label: <span data-testid="rule-mode-json">{t('rbModeJson')}</span> },
                ]}
              />
            </Space>
            <Space wrap>
              <Select<string>
                placeholder={t('templatePick')}
                style={{ minWidth: 280, maxWidth: '100%' }}
                value={null as unknown as string}
                onChange={applyTemplate}
                data-testid="template-select"
                options={RULE_TEMPLATES.map((x) => ({ value: x.id, label: x.name[locale] }))}
                aria-label={t('templates')}
              />
              {mode === 'json' && (
                <Button
                  onClick={() => {
                    const r = parseRule(ruleText);
                    if (r.ok) setRuleText(pretty(r.rule));
                    else setJsonError(t('jsonInvalid', { message: r.message }));
                  }}
                >
                  {t('formatJson')}
                </Button>
              )}
            </Space>
          </Space>
          {mode === 'builder' ? (
            <>
              <RuleBuilder model={model} onChange={setModel} catalog={catalog} gaps={gaps} problems={problems} selfId={segment?.id} />
              <Typography.Paragraph type="secondary" style={{ marginTop: 4 }} data-testid="live-note">
                {gaps.size > 0 ? t('rbLiveWaiting') : t('rbLiveNote')}
              </Typography.Paragraph>
            </>
          ) : (
            <>
              <Input.TextArea
                value={ruleText}
                onChange={(e) => setRuleText(e.target.value)}
                autoSize={{ minRows: 12, maxRows: 36 }}
                spellCheck={false}
                style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace', fontSize: 13 }}
                data-testid="rule-editor"
              />
              <Typography.Paragraph type="secondary" style={{ marginTop: 4 }}>
                {t('ruleHelp')}
              </Typography.Paragraph>
            </>
          )}
        </>
      )}

      <Space style={{ marginBottom: 16 }}>
        {!isStatic && (
          <Button onClick={previewNow} loading={busy === 'preview'} data-testid="preview">
            {t('preview')}
          </Button>
        )}
        <Button type="primary" onClick={save} loading={busy === 'save'} data-testid="save">
          {segment ? t('save') : t('create')}
        </Button>
      </Space>

      {jsonError && <Alert type="error" showIcon title={jsonError} style={{ marginBottom: 16 }} data-testid="json-error" />}
      {apiError !== null && (
        <div style={{ marginBottom: 16 }}>
          <ErrorAlert error={apiError} testId="rule-error" />
        </div>
      )}

      {preview && !isStatic && <PreviewCard preview={preview} busy={live} />}
    </Card>
  );
}
