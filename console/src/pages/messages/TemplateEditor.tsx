/**
 * A message template: its name, channel, purpose and a Liquid content variant per locale
 * (POST /v1/templates, PATCH /v1/templates/:id: changed content makes the next version), its
 * versions, archiving, and beside it the preview rendered by the server for a real profile.
 */
import { App as AntApp, Button, Card, Col, Form, Input, Row, Select, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import type { ChannelName, MessageTemplateDetail } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { navigate } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { CONTENT_FIELDS, emptyForm, FieldJsonError, fromForm, toForm, type VariantForm } from './content-fields.ts';
import { TemplatePreviewPanel } from './TemplatePreview.tsx';
import { TEMPLATE_CHANNELS } from './TemplateList.tsx';
import { TemplateErrorAlert, useChannelLabel } from './shared.tsx';

/** The locales the console offers for variants (the server accepts any locale tag; others are shown as they are). */
const LOCALE_CHOICES = ['zh-CN', 'en'];
const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 13 };

/** A variant in the editor: the form, or the whole content as JSON text when the JSON view is on. */
type Editing = { form: VariantForm; json: string | null };

/** The content of one variant from the editor (throws FieldJsonError or a SyntaxError naming the JSON that does not parse). */
function contentOf(channel: ChannelName, v: Editing): Record<string, unknown> {
  if (v.json === null) return fromForm(channel, v.form);
  const parsed: unknown = JSON.parse(v.json);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SyntaxError('the content must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** The editor of one locale's content: a field per content field of the channel, or the JSON view. */
function VariantEditor(props: { channel: ChannelName; locale: string; value: Editing; onChange: (v: Editing) => void; readOnly: boolean }) {
  const { t } = useI18n();
  const { channel, locale, value, onChange, readOnly } = props;
  const toggleJson = (on: boolean) => {
    if (!on) return onChange({ form: value.json === null ? value.form : toForm(channel, safeParse(value.json)), json: null });
    let content: Record<string, unknown>;
    try {
      content = fromForm(channel, value.form);
    } catch {
      content = value.form.rest;
    }
    onChange({ form: value.form, json: JSON.stringify(content, null, 2) });
  };
  const setField = (key: string, text: string) => onChange({ form: { ...value.form, fields: { ...value.form.fields, [key]: text } }, json: null });
  return (
    <div>
      <Space style={{ marginBottom: 12 }}>
        <Switch size="small" checked={value.json !== null} onChange={toggleJson} data-testid={`tpl-json-${locale}`} />
        <Typography.Text type="secondary">{t('msgJsonView')}</Typography.Text>
      </Space>
      {value.json !== null ? (
        <Input.TextArea
          value={value.json}
          readOnly={readOnly}
          autoSize={{ minRows: 8, maxRows: 30 }}
          style={mono}
          spellCheck={false}
          onChange={(e) => onChange({ ...value, json: e.target.value })}
          data-testid={`tpl-json-text-${locale}`}
        />
      ) : (
        <Form layout="vertical" disabled={readOnly}>
          {CONTENT_FIELDS[channel].map((f) => (
            <Form.Item
              key={f.key}
              required={f.required}
              label={
                <Space size={4}>
                  <Typography.Text code>{f.key}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t(`msgFieldKind_${f.kind}`)}
                  </Typography.Text>
                </Space>
              }
            >
              {f.kind === 'select' ? (
                <Select
                  allowClear
                  value={value.form.fields[f.key] || undefined}
                  onChange={(v: string | undefined) => setField(f.key, v ?? '')}
                  options={(f.options ?? []).map((o) => ({ value: o, label: o }))}
                  data-testid={`tpl-field-${locale}-${f.key}`}
                />
              ) : f.kind === 'line' ? (
                <Input value={value.form.fields[f.key]} onChange={(e) => setField(f.key, e.target.value)} data-testid={`tpl-field-${locale}-${f.key}`} />
              ) : (
                <Input.TextArea
                  value={value.form.fields[f.key]}
                  onChange={(e) => setField(f.key, e.target.value)}
                  autoSize={{ minRows: f.kind === 'json' ? 3 : (f.rows ?? 4), maxRows: 24 }}
                  style={mono}
                  spellCheck={false}
                  data-testid={`tpl-field-${locale}-${f.key}`}
                />
              )}
            </Form.Item>
          ))}
        </Form>
      )}
    </div>
  );
}

function safeParse(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The template editor (new when no id). */
export function TemplateEditorPage({ id }: { id?: string }) {
  const { api, role } = useSession();
  const { t, locale: uiLocale } = useI18n();
  const { message, modal } = AntApp.useApp();
  const channelLabel = useChannelLabel();
  const readOnly = !canChange(role);
  const [loaded, setLoaded] = useState<MessageTemplateDetail | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [channel, setChannel] = useState<ChannelName>('wecom');
  const [purpose, setPurpose] = useState<'marketing' | 'service'>('marketing');
  const [defaultLocale, setDefaultLocale] = useState('zh-CN');
  const [variants, setVariants] = useState<Record<string, Editing>>({ 'zh-CN': { form: emptyForm('wecom'), json: null } });
  const [active, setActive] = useState('zh-CN');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [warnings, setWarnings] = useState<{ code: string; message: string }[]>([]);

  const show = (tpl: MessageTemplateDetail) => {
    setLoaded(tpl);
    setName(tpl.name);
    setChannel(tpl.channel);
    setPurpose(tpl.purpose);
    setDefaultLocale(tpl.defaultLocale);
    setVariants(Object.fromEntries(Object.entries(tpl.variants).map(([l, c]) => [l, { form: toForm(tpl.channel, c), json: null }])));
    setActive(tpl.defaultLocale);
  };
  useEffect(() => {
    if (!id) return;
    let live = true;
    api.getTemplate(id).then(
      (tpl) => live && show(tpl),
      (err: unknown) => live && setLoadError(err),
    );
    return () => {
      live = false;
    };
  }, [api, id]);

  // What would be sent, or the JSON problem that stops it.
  const built = useMemo((): { variants: Record<string, Record<string, unknown>> } | { problem: string } => {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [l, v] of Object.entries(variants)) {
      try {
        out[l] = contentOf(channel, v);
      } catch (err) {
        const where = err instanceof FieldJsonError ? `variants.${l}.${err.field}` : `variants.${l}`;
        return { problem: t('msgJsonProblem', { where, message: (err as Error).message }) };
      }
    }
    return { variants: out };
  }, [variants, channel, t]);
  const contentChanged =
    !loaded || ('variants' in built && JSON.stringify(built.variants) !== JSON.stringify(loaded.variants)) || defaultLocale !== loaded.defaultLocale;
  const dirty = !loaded || contentChanged || name !== loaded.name || purpose !== loaded.purpose;

  const save = async () => {
    if ('problem' in built) return setError(new Error(built.problem));
    setSaving(true);
    setError(null);
    try {
      if (!loaded) {
        const tpl = await api.createTemplate({ name, channel, purpose, defaultLocale, variants: built.variants });
        message.success(t('msgTemplateCreated'));
        // The editor opens again under the new id (a fresh screen): its warnings go in a toast.
        for (const w of tpl.warnings ?? []) message.warning(`${w.code}: ${w.message}`, 10);
        show(tpl);
        navigate(`messages/templates/${encodeURIComponent(tpl.id)}`, true);
      } else {
        const tpl = await api.updateTemplate(loaded.id, {
          ...(name !== loaded.name ? { name } : {}),
          ...(purpose !== loaded.purpose ? { purpose } : {}),
          ...(contentChanged ? { defaultLocale, variants: built.variants } : {}),
        });
        setWarnings(tpl.warnings ?? []);
        message.success(tpl.version !== loaded.version ? t('msgTemplateSavedVersion', { version: tpl.version }) : t('saved'));
        show(tpl);
      }
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const archive = () =>
    modal.confirm({
      title: t('msgArchiveTemplateConfirm'),
      onOk: async () => {
        try {
          await api.archiveTemplate(loaded!.id);
          message.success(t('archived'));
          show(await api.getTemplate(loaded!.id));
        } catch (err) {
          setError(err);
        }
      },
    });

  const addLocale = (l: string) => {
    setVariants((v) => ({ ...v, [l]: { form: emptyForm(channel), json: null } }));
    setActive(l);
  };
  const removeLocale = (l: string) => {
    setVariants((v) => Object.fromEntries(Object.entries(v).filter(([k]) => k !== l)));
    setActive(defaultLocale);
  };
  const missing = LOCALE_CHOICES.filter((l) => !variants[l]);

  if (loadError) return <ErrorAlert error={loadError} />;
  if (id && !loaded) return <Card loading />;

  const editor = (
    <Card
      title={loaded ? loaded.name : t('msgNewTemplate')}
      extra={
        loaded && (
          <Space>
            <Tag>{t('versionN', { n: loaded.version })}</Tag>
            {loaded.status === 'archived' && <Tag>{t('status_archived')}</Tag>}
          </Space>
        )
      }
    >
      <Form layout="vertical" disabled={readOnly}>
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item label={t('name')} required>
              <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="tpl-name" />
            </Form.Item>
          </Col>
          <Col xs={12} md={6}>
            <Form.Item label={t('msgChannel')} required extra={loaded ? t('msgChannelFixed') : undefined}>
              <Select<ChannelName>
                value={channel}
                disabled={!!loaded}
                onChange={(c) => {
                  setChannel(c);
                  setVariants(Object.fromEntries(Object.keys(variants).map((l) => [l, { form: emptyForm(c), json: null }])));
                }}
                options={TEMPLATE_CHANNELS.map((c) => ({ value: c, label: channelLabel(c) }))}
                data-testid="tpl-channel"
              />
            </Form.Item>
          </Col>
          <Col xs={12} md={6}>
            <Form.Item label={t('msgPurpose')} extra={t(`msgPurposeHelp_${purpose}`)}>
              <Select
                value={purpose}
                onChange={setPurpose}
                options={(['marketing', 'service'] as const).map((p) => ({ value: p, label: t(`msgPurpose_${p}`) }))}
                data-testid="tpl-purpose"
              />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item label={t('msgDefaultLocale')} extra={t('msgDefaultLocaleHelp')}>
          <Select
            value={defaultLocale}
            onChange={setDefaultLocale}
            style={{ maxWidth: 200 }}
            options={Object.keys(variants).map((l) => ({ value: l, label: l }))}
          />
        </Form.Item>
      </Form>
      <Tabs
        activeKey={active}
        onChange={setActive}
        tabBarExtraContent={
          !readOnly &&
          missing.length > 0 && (
            <Select
              size="small"
              placeholder={t('msgAddLocale')}
              value={null}
              style={{ minWidth: 130 }}
              onChange={(l: string) => addLocale(l)}
              options={missing.map((l) => ({ value: l, label: l }))}
              data-testid="tpl-add-locale"
            />
          )
        }
        items={Object.keys(variants).map((l) => ({
          key: l,
          label: (
            <span data-testid={`tpl-locale-${l}`}>
              {l} {l === defaultLocale && <Tag style={{ marginInlineStart: 4 }}>{t('msgDefault')}</Tag>}
            </span>
          ),
          children: (
            <>
              <VariantEditor channel={channel} locale={l} value={variants[l]!} readOnly={readOnly} onChange={(v) => setVariants((x) => ({ ...x, [l]: v }))} />
              {!readOnly && l !== defaultLocale && (
                <Button size="small" danger onClick={() => removeLocale(l)}>
                  {t('msgRemoveLocale', { locale: l })}
                </Button>
              )}
            </>
          ),
        }))}
      />
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 12 }}>
        {t('msgLiquidHelp')}
      </Typography.Paragraph>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <TemplateErrorAlert error={error} testId="tpl-error" />
        {warnings.map((w) => (
          <Typography.Paragraph key={w.code} type="warning" data-testid="tpl-warning">
            {w.code}: {w.message}
          </Typography.Paragraph>
        ))}
        {!readOnly && (
          <Space wrap>
            <Button type="primary" loading={saving} disabled={!dirty || !name.trim()} onClick={save} data-testid="tpl-save">
              {loaded ? t('save') : t('create')}
            </Button>
            {loaded && loaded.status === 'active' && (
              <Button danger onClick={archive}>
                {t('archive')}
              </Button>
            )}
            {loaded && contentChanged && <Typography.Text type="secondary">{t('msgNextVersionNote', { version: loaded.version + 1 })}</Typography.Text>}
          </Space>
        )}
      </Space>
    </Card>
  );

  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={14}>
        {editor}
        {loaded && (
          <Card title={t('versions')} size="small" style={{ marginTop: 16 }}>
            <Table
              size="small"
              rowKey="version"
              pagination={false}
              dataSource={loaded.versions}
              columns={[
                { title: t('colVersion'), dataIndex: 'version' },
                { title: t('msgDefaultLocale'), dataIndex: 'defaultLocale' },
                { title: t('msgLocales'), key: 'l', render: (_, v) => Object.keys(v.variants).join(', ') },
                { title: t('createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, uiLocale) },
              ]}
            />
          </Card>
        )}
      </Col>
      <Col xs={24} xl={10}>
        {loaded ? (
          <TemplatePreviewPanel template={loaded} unsaved={dirty} />
        ) : (
          <Card title={t('preview')}>
            <Typography.Text type="secondary">{t('msgPreviewAfterSave')}</Typography.Text>
          </Card>
        )}
      </Col>
    </Row>
  );
}
