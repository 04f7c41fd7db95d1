/**
 * Guardrails (GET/PATCH /v1/messaging/settings): quiet hours, frequency caps over all channels and
 * per channel, what happens over a cap, the consent policy, and the settings sends depend on (time
 * zone, public URL for links, default locale, attempts, the reply window). The server checks every
 * value and names the field it refuses; analysts see the form read-only.
 */
import { App as AntApp, Button, Card, Col, Form, Input, InputNumber, Row, Select, Space, Switch, Table, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { ChannelName, MessagingSettings } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { canChange, useSession } from '../../session.ts';
import { TEMPLATE_CHANNELS } from './TemplateList.tsx';
import { useChannelLabel } from './shared.tsx';

type Cap = MessagingSettings['caps']['marketing'];

/** Two number inputs for a cap; empty means no cap. */
function CapInputs({ value, onChange, disabled, testId }: { value: Cap; onChange: (c: Cap) => void; disabled: boolean; testId: string }) {
  const { t } = useI18n();
  const set = (k: keyof Cap, v: number | null) => {
    const next = { ...value };
    if (v === null) delete next[k];
    else next[k] = v;
    onChange(next);
  };
  return (
    <Space wrap>
      <InputNumber
        min={0}
        precision={0}
        disabled={disabled}
        value={value.perDay ?? null}
        onChange={(v) => set('perDay', v)}
        addonAfter={t('msgPerDay')}
        placeholder={t('msgNoCap')}
        data-testid={`${testId}-day`}
      />
      <InputNumber
        min={0}
        precision={0}
        disabled={disabled}
        value={value.perWeek ?? null}
        onChange={(v) => set('perWeek', v)}
        addonAfter={t('msgPerWeek')}
        placeholder={t('msgNoCap')}
        data-testid={`${testId}-week`}
      />
    </Space>
  );
}

/** The guardrails screen. */
export function GuardrailsPage() {
  const { api, role, workspace } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const channelLabel = useChannelLabel();
  const readOnly = !canChange(role);
  const [s, setS] = useState<MessagingSettings | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    let live = true;
    api.messagingSettings().then(
      (v) => live && setS(v),
      (err: unknown) => live && setLoadError(err),
    );
    return () => {
      live = false;
    };
  }, [api]);

  if (loadError) return <ErrorAlert error={loadError} />;
  if (!s) return <Card loading title={t('msgGuardrailsTitle')} />;
  const patch = (p: Partial<MessagingSettings>) => setS({ ...s, ...p });
  const channelCap = (ch: ChannelName): Cap => s.caps.channels[ch] ?? {};

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const channels = Object.fromEntries(Object.entries(s.caps.channels).filter(([, c]) => c && (c.perDay !== undefined || c.perWeek !== undefined)));
      const saved = await api.saveMessagingSettings({
        quietHours: s.quietHours,
        caps: { ...s.caps, channels },
        consent: s.consent,
        timeZone: s.timeZone?.trim() ? s.timeZone.trim() : null,
        linkBaseUrl: s.linkBaseUrl?.trim() ? s.linkBaseUrl.trim() : null,
        defaultLocale: s.defaultLocale,
        maxAttempts: s.maxAttempts,
        replies: s.replies,
      });
      setS(saved);
      message.success(t('saved'));
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const quietOff = s.quietHours.start === s.quietHours.end;
  return (
    <Card title={t('msgGuardrailsTitle')}>
      <Form layout="vertical" disabled={readOnly}>
        <Typography.Title level={5}>{t('msgQuietHours')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('msgQuietHoursHelp')}</Typography.Paragraph>
        <Row gutter={16}>
          <Col xs={12} md={6}>
            <Form.Item label={t('msgQuietStart')}>
              <Input
                value={s.quietHours.start}
                placeholder="21:00"
                onChange={(e) => patch({ quietHours: { ...s.quietHours, start: e.target.value } })}
                data-testid="quiet-start"
              />
            </Form.Item>
          </Col>
          <Col xs={12} md={6}>
            <Form.Item label={t('msgQuietEnd')}>
              <Input
                value={s.quietHours.end}
                placeholder="09:00"
                onChange={(e) => patch({ quietHours: { ...s.quietHours, end: e.target.value } })}
                data-testid="quiet-end"
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item label={t('msgQuietAppliesTo')}>
              <Select
                value={s.quietHours.appliesTo}
                onChange={(appliesTo) => patch({ quietHours: { ...s.quietHours, appliesTo } })}
                options={(['marketing', 'all'] as const).map((v) => ({ value: v, label: t(`msgAppliesTo_${v}`) }))}
              />
            </Form.Item>
          </Col>
        </Row>
        {quietOff && (
          <Typography.Paragraph type="warning" data-testid="quiet-off">
            {t('msgQuietOff')}
          </Typography.Paragraph>
        )}
        <Form.Item label={t('timeZone')} extra={t('msgTimeZoneHelp', { tz: workspace.settings.timezone ?? 'Asia/Shanghai' })}>
          <Input
            value={s.timeZone ?? ''}
            placeholder={String(workspace.settings.timezone ?? 'Asia/Shanghai')}
            onChange={(e) => patch({ timeZone: e.target.value })}
            style={{ maxWidth: 280 }}
          />
        </Form.Item>

        <Typography.Title level={5}>{t('msgCaps')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('msgCapsHelp')}</Typography.Paragraph>
        <Form.Item label={t('msgCapMarketing')}>
          <CapInputs value={s.caps.marketing} disabled={readOnly} onChange={(marketing) => patch({ caps: { ...s.caps, marketing } })} testId="cap-marketing" />
        </Form.Item>
        <Table
          size="small"
          rowKey={(ch) => ch}
          pagination={false}
          scroll={{ x: true }}
          dataSource={TEMPLATE_CHANNELS}
          style={{ marginBottom: 16 }}
          columns={[
            { title: t('msgChannel'), key: 'ch', render: (_, ch) => channelLabel(ch) },
            {
              title: t('msgCapChannel'),
              key: 'cap',
              render: (_, ch) => (
                <CapInputs
                  value={channelCap(ch)}
                  disabled={readOnly}
                  onChange={(c) => patch({ caps: { ...s.caps, channels: { ...s.caps.channels, [ch]: c } } })}
                  testId={`cap-${ch}`}
                />
              ),
            },
          ]}
        />
        <Form.Item label={t('msgOnLimit')}>
          <Select
            value={s.caps.onLimit}
            onChange={(onLimit) => patch({ caps: { ...s.caps, onLimit } })}
            style={{ maxWidth: 420 }}
            options={(['suppress', 'defer'] as const).map((v) => ({ value: v, label: t(`msgOnLimit_${v}`) }))}
          />
        </Form.Item>

        <Typography.Title level={5}>{t('msgConsentPolicy')}</Typography.Title>
        <Space orientation="vertical" style={{ marginBottom: 16 }}>
          <Space>
            <Switch checked={s.consent.marketingRequiresOptIn} onChange={(v) => patch({ consent: { ...s.consent, marketingRequiresOptIn: v } })} />
            {t('msgMarketingOptIn')}
          </Space>
          <Space>
            <Switch checked={s.consent.serviceRequiresOptIn} onChange={(v) => patch({ consent: { ...s.consent, serviceRequiresOptIn: v } })} />
            {t('msgServiceOptIn')}
          </Space>
        </Space>

        <Typography.Title level={5}>{t('msgDelivery')}</Typography.Title>
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item label={t('msgLinkBaseUrl')} extra={t('msgLinkBaseUrlHelp')}>
              <Input
                value={s.linkBaseUrl ?? ''}
                placeholder="https://siyu.example.com"
                onChange={(e) => patch({ linkBaseUrl: e.target.value })}
                data-testid="link-base-url"
              />
            </Form.Item>
          </Col>
          <Col xs={12} md={4}>
            <Form.Item label={t('msgDefaultLocale')}>
              <Select
                value={s.defaultLocale}
                onChange={(defaultLocale) => patch({ defaultLocale })}
                options={['zh-CN', 'en'].map((l) => ({ value: l, label: l }))}
              />
            </Form.Item>
          </Col>
          <Col xs={12} md={4}>
            <Form.Item label={t('msgMaxAttempts')}>
              <InputNumber min={1} max={20} precision={0} value={s.maxAttempts} onChange={(v) => v !== null && patch({ maxAttempts: v })} />
            </Form.Item>
          </Col>
          <Col xs={12} md={4}>
            <Form.Item label={t('msgReplyWindow')}>
              <InputNumber
                min={1}
                max={720}
                precision={0}
                value={s.replies.windowHours}
                onChange={(v) => v !== null && patch({ replies: { windowHours: v } })}
              />
            </Form.Item>
          </Col>
        </Row>
      </Form>
      <ErrorAlert error={error} testId="guardrails-error" />
      {!readOnly && (
        <Button type="primary" loading={saving} onClick={save} style={{ marginTop: 12 }} data-testid="guardrails-save">
          {t('save')}
        </Button>
      )}
    </Card>
  );
}
