/**
 * New and edit segment: the kind (a new segment is a rule or a static list), name, description,
 * the rule as JSON (with starter templates), a preview (POST /v1/segments/preview) and save
 * (POST /v1/segments or PATCH /v1/segments/:id; a changed rule becomes a new version on the server).
 */
import { Alert, App as AntApp, Button, Card, Form, Input, Radio, Select, Space, Spin, Table, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { Preview, SegmentDetail } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatCount, formatShare, formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.ts';
import { RULE_TEMPLATES } from '../templates.ts';

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

/** The segment editor; without `id` it creates a new segment, a rule one unless the operator picks static. */
export function SegmentEditorPage({ id }: { id?: string }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message, modal } = AntApp.useApp();
  const [form] = Form.useForm<{ name: string; description: string }>();
  const [segment, setSegment] = useState<SegmentDetail | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [ruleText, setRuleText] = useState(() => (id ? '' : pretty(DEFAULT_TEMPLATE.rule)));
  // The text last put in the box by loading or a template: replacing it needs no confirmation.
  const [pristineText, setPristineText] = useState(ruleText);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [apiError, setApiError] = useState<unknown>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState<'preview' | 'save' | null>(null);
  // Only a new segment's kind can be chosen; an existing one keeps its own.
  const [newKind, setNewKind] = useState<'rule' | 'static'>('rule');

  useEffect(() => {
    if (!id) return;
    let live = true;
    api.getSegment(id).then(
      (s) => {
        if (!live) return;
        setSegment(s);
        const text = s.rule ? pretty(s.rule) : '';
        setRuleText(text);
        setPristineText(text);
      },
      (err: unknown) => live && setLoadError(err),
    );
    return () => {
      live = false;
    };
  }, [api, id]);

  const isStatic = segment ? segment.kind === 'static' : newKind === 'static';

  const applyTemplate = (templateId: string) => {
    const tpl = RULE_TEMPLATES.find((x) => x.id === templateId);
    if (!tpl) return;
    const put = () => {
      const text = pretty(tpl.rule);
      setRuleText(text);
      setPristineText(text);
      setJsonError(null);
      setApiError(null);
      setPreview(null);
    };
    if (ruleText.trim() === '' || ruleText === pristineText) put();
    else
      modal.confirm({
        title: t('templateReplaceTitle'),
        content: t('templateReplaceBody', { name: tpl.name[locale] }),
        onOk: put,
        okText: t('yes'),
        cancelText: t('cancel'),
      });
  };

  const parsed = (): unknown => {
    setJsonError(null);
    setApiError(null);
    const r = parseRule(ruleText);
    if (!r.ok) {
      setJsonError(t('jsonInvalid', { message: r.message }));
      return undefined;
    }
    return r.rule;
  };

  const runPreview = async () => {
    const rule = parsed();
    if (rule === undefined) return;
    setBusy('preview');
    try {
      setPreview(await api.preview(rule, 10));
    } catch (err) {
      setPreview(null);
      setApiError(err);
    } finally {
      setBusy(null);
    }
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
                setJsonError(null);
                setApiError(null);
                setPreview(null);
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
            <Typography.Text strong>{t('rule')}</Typography.Text>
            <Space wrap>
              <Select<string>
                placeholder={t('templatePick')}
                style={{ minWidth: 320 }}
                value={null as unknown as string}
                onChange={applyTemplate}
                data-testid="template-select"
                options={RULE_TEMPLATES.map((x) => ({ value: x.id, label: x.name[locale] }))}
                aria-label={t('templates')}
              />
              <Button
                onClick={() => {
                  const r = parseRule(ruleText);
                  if (r.ok) setRuleText(pretty(r.rule));
                  else setJsonError(t('jsonInvalid', { message: r.message }));
                }}
              >
                {t('formatJson')}
              </Button>
            </Space>
          </Space>
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

      <Space style={{ marginBottom: 16 }}>
        {!isStatic && (
          <Button onClick={runPreview} loading={busy === 'preview'} data-testid="preview">
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

      {preview && (
        <Card size="small" data-testid="preview-result">
          <Space size="large" wrap style={{ marginBottom: 12 }}>
            <div>
              <Typography.Text type="secondary">{t('size')}</Typography.Text>
              <div style={{ fontSize: 28, lineHeight: 1.3 }} data-testid="preview-count">
                {formatCount(preview.count, locale)}
              </div>
            </div>
            <Typography.Text type="secondary">
              {t('previewResult', {
                count: formatCount(preview.count, locale),
                total: formatCount(preview.total, locale),
                percent: preview.total ? formatShare(preview.count / preview.total) : '0%',
                ms: preview.tookMs,
              })}
            </Typography.Text>
          </Space>
          <Typography.Text strong>{t('previewSample')}</Typography.Text>
          <div data-testid="preview-sample">
            <Table
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={preview.sample}
              columns={[
                { title: t('colProfile'), dataIndex: 'id', width: 260, render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
                {
                  title: t('colTraits'),
                  dataIndex: 'traits',
                  render: (v: Record<string, unknown>) => (
                    <span style={{ fontFamily: 'monospace', fontSize: 12, wordBreak: 'break-all' }}>{JSON.stringify(v)}</span>
                  ),
                },
                { title: t('colLastSeen'), dataIndex: 'lastSeenAt', width: 180, render: (v: string | null) => formatTime(v, locale) },
              ]}
            />
          </div>
        </Card>
      )}
    </Card>
  );
}
