/**
 * Creating and editing a channel live code (POST / PATCH /v1/wecom/live-codes): name, channel,
 * staff in round-robin order, assignment strategy and daily cap, overflow member, Siyu tags and
 * WeCom corp tags put on new customers, the welcome message and expiry.
 */
import { Alert, Button, Card, Form, Input, InputNumber, Radio, Select, Space, Spin, Switch } from 'antd';
import { useEffect, useState } from 'react';
import type { LiveCodeCreateBody } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { navigate } from '../../router.tsx';
import { useSession } from '../../session.ts';
import { CHANNELS, channelKey } from './LiveCodes.tsx';
import { CorpTagSelect, StaffSelect, useCorpTags, useLoad, useStaffList } from './shared.tsx';

interface Values {
  name: string;
  channel: (typeof CHANNELS)[number];
  staff: string[];
  strategy: 'least_load' | 'round_robin';
  dailyCap?: number | null;
  overflowUserid?: string;
  corpTagIds: string[];
  tags: string[];
  welcomeText?: string;
  nameFallback?: string;
  templateId?: string;
  skipVerify: boolean;
  expiresAt?: string;
}

/** "group/name" or "name" as a Siyu tag input. */
const tagOf = (s: string) => {
  const i = s.indexOf('/');
  return i > 0 ? { group: s.slice(0, i).trim(), name: s.slice(i + 1).trim() } : { name: s.trim() };
};

/** A datetime-local value as ISO-8601 with the browser's offset, or null. */
function isoOfLocal(v: string | undefined): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** YYYY-MM-DDTHH:mm in the browser's zone, for a datetime-local input. */
function localOfIso(v: string | null): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The editor; `id` edits an existing code. */
export function LiveCodeEditorPage({ id }: { id?: string }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const staff = useStaffList();
  const corpTags = useCorpTags();
  const existing = useLoad(() => (id ? api.scrm.liveCode(id) : Promise.resolve(undefined)), [api, id]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const strategy = Form.useWatch('strategy', form);

  useEffect(() => {
    const c = existing.data;
    if (!c) return;
    const w = (c.welcome ?? null) as { text?: string; nameFallback?: string; templateId?: string } | null;
    form.setFieldsValue({
      name: c.name,
      channel: c.channel as Values['channel'],
      staff: c.staff,
      strategy: c.strategy as Values['strategy'],
      dailyCap: c.dailyCap,
      overflowUserid: c.overflowUserid ?? undefined,
      corpTagIds: c.corpTagIds ?? [],
      tags: (c.tags ?? []).map((x) => (x.group ? `${x.group}/${x.name}` : (x.name ?? x.id ?? ''))),
      welcomeText: w?.text,
      nameFallback: w?.nameFallback,
      templateId: w?.templateId,
      skipVerify: c.skipVerify ?? true,
      expiresAt: localOfIso(c.expiresAt ?? null),
    });
  }, [existing.data, form]);

  const submit = async () => {
    const v = await form.validateFields();
    const welcome = v.templateId?.trim()
      ? { templateId: v.templateId.trim() }
      : v.welcomeText?.trim()
        ? { text: v.welcomeText, ...(v.nameFallback?.trim() ? { nameFallback: v.nameFallback.trim() } : {}) }
        : null;
    const body: LiveCodeCreateBody = {
      name: v.name.trim(),
      channel: v.channel,
      staff: v.staff,
      strategy: v.strategy,
      dailyCap: v.dailyCap ?? null,
      overflowUserid: v.overflowUserid || null,
      corpTagIds: v.corpTagIds ?? [],
      tags: (v.tags ?? []).filter((x) => x.trim()).map(tagOf),
      welcome,
      skipVerify: v.skipVerify,
      expiresAt: isoOfLocal(v.expiresAt),
    };
    setBusy(true);
    setError(null);
    try {
      const saved = id ? await api.scrm.updateLiveCode(id, body) : await api.scrm.createLiveCode(body);
      navigate(`scrm/live-codes/${encodeURIComponent(saved.id)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (id && existing.loading) return <Spin style={{ display: 'block', margin: 48 }} />;
  return (
    <Card title={id ? t('scrmEditLiveCode') : t('scrmNewLiveCode')} data-testid="live-code-editor">
      <ErrorAlert error={existing.error} />
      {staff.data && staff.data.length === 0 && <Alert type="warning" showIcon title={t('scrmNoStaffToPick')} style={{ marginBottom: 12 }} />}
      <Form
        form={form}
        layout="vertical"
        style={{ maxWidth: 720 }}
        initialValues={{ channel: 'store', strategy: 'least_load', skipVerify: true, corpTagIds: [], tags: [], staff: [] }}
      >
        <Form.Item name="name" label={t('colName')} rules={[{ required: true, whitespace: true, max: 64 }]}>
          <Input data-testid="lc-name" placeholder={t('scrmLiveCodeNamePlaceholder')} />
        </Form.Item>
        <Form.Item name="channel" label={t('scrmChannel')} rules={[{ required: true }]}>
          <Select options={CHANNELS.map((c) => ({ value: c, label: t(channelKey(c)) }))} data-testid="lc-channel" style={{ maxWidth: 240 }} />
        </Form.Item>
        <Form.Item name="staff" label={t('scrmLiveCodeStaff')} extra={t('scrmLiveCodeStaffHelp')} rules={[{ required: true, type: 'array', min: 1 }]}>
          <StaffSelect staff={staff.data} multiple testId="lc-staff" />
        </Form.Item>
        <Form.Item name="strategy" label={t('scrmStrategy')}>
          <Radio.Group
            options={[
              { value: 'least_load', label: t('scrmStrategy_least_load') },
              { value: 'round_robin', label: t('scrmStrategy_round_robin') },
            ]}
          />
        </Form.Item>
        <Alert
          type="info"
          title={strategy === 'round_robin' ? t('scrmStrategyHelp_round_robin') : t('scrmStrategyHelp_least_load')}
          style={{ marginBottom: 16 }}
        />
        <Space wrap size="large">
          <Form.Item name="dailyCap" label={t('scrmDailyCap')} extra={t('scrmDailyCapHelp')}>
            <InputNumber min={1} max={100000} data-testid="lc-daily-cap" />
          </Form.Item>
          <Form.Item name="overflowUserid" label={t('scrmOverflow')} extra={t('scrmOverflowHelp')}>
            <StaffSelect staff={staff.data} allowClear testId="lc-overflow" />
          </Form.Item>
        </Space>
        <Form.Item name="corpTagIds" label={t('scrmAutoCorpTags')} extra={t('scrmAutoCorpTagsHelp')}>
          <CorpTagSelect tags={corpTags.data} multiple testId="lc-corp-tags" />
        </Form.Item>
        <Form.Item name="tags" label={t('scrmAutoSiyuTags')} extra={t('scrmAutoSiyuTagsHelp')}>
          <Select mode="tags" tokenSeparators={[',', '，']} open={false} data-testid="lc-tags" />
        </Form.Item>
        <Form.Item name="welcomeText" label={t('scrmWelcome')} extra={t('scrmWelcomeHelp')}>
          <Input.TextArea rows={3} maxLength={4000} data-testid="lc-welcome" placeholder={t('scrmWelcomePlaceholder')} />
        </Form.Item>
        <Space wrap size="large">
          <Form.Item name="nameFallback" label={t('scrmNameFallback')}>
            <Input placeholder={t('scrmNameFallbackPlaceholder')} style={{ width: 200 }} />
          </Form.Item>
          <Form.Item name="templateId" label={t('scrmWelcomeTemplate')} extra={t('scrmWelcomeTemplateHelp')}>
            <Input placeholder="tpl_..." style={{ width: 240 }} />
          </Form.Item>
        </Space>
        <Space wrap size="large">
          <Form.Item name="skipVerify" label={t('scrmSkipVerify')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="expiresAt" label={t('scrmExpiresAt')} extra={t('scrmExpiresAtHelp')}>
            <Input type="datetime-local" style={{ width: 220 }} />
          </Form.Item>
        </Space>
        <ErrorAlert error={error} testId="live-code-error" />
        <Space style={{ marginTop: 12 }}>
          <Button type="primary" loading={busy} onClick={submit} data-testid="lc-save">
            {id ? t('save') : t('scrmCreateLiveCode')}
          </Button>
          <Button onClick={() => navigate(id ? `scrm/live-codes/${encodeURIComponent(id)}` : 'scrm/live-codes')}>{t('cancel')}</Button>
        </Space>
      </Form>
    </Card>
  );
}
