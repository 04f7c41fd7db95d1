/**
 * A new broadcast (POST /v1/broadcasts): a segment as audience (its size shown), an optional
 * segment to leave out, the channel and one of its templates, a holdout and a goal; then kept as a
 * draft, sent now (POST …/send-now) or scheduled (POST …/schedule).
 */
import { App as AntApp, Button, Card, Col, Form, Input, InputNumber, Radio, Row, Select, Space, Statistic, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { BroadcastBody, ChannelName, MessageTemplate } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatCount } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { navigate } from '../../router.tsx';
import { useSession } from '../../session.ts';
import { useActiveSegments } from './segments.ts';
import { useChannelLabel } from './shared.tsx';

/** The channels a broadcast may use (one message per profile: not WeCom groups). */
const BROADCAST_CHANNELS: Exclude<ChannelName, 'wecom_group'>[] = ['wecom', 'sms', 'email', 'wechat_oa', 'miniprogram', 'webhook'];

/** A local date-time input's value (the browser's zone) as ISO-8601 in UTC, or undefined when empty or not a time. */
export function localInputToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The new broadcast screen. */
export function BroadcastNewPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const channelLabel = useChannelLabel();
  const { segments, loading: segmentsLoading, error: segmentsError } = useActiveSegments();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [segmentId, setSegmentId] = useState<string | undefined>();
  const [excludeSegmentId, setExclude] = useState<string | undefined>();
  const [channel, setChannel] = useState<Exclude<ChannelName, 'wecom_group'>>('wecom');
  const [templates, setTemplates] = useState<MessageTemplate[]>([]);
  const [templateId, setTemplateId] = useState<string | undefined>();
  const [purpose, setPurpose] = useState<'marketing' | 'service' | undefined>();
  const [holdout, setHoldout] = useState(0);
  const [goalEvent, setGoalEvent] = useState('');
  const [goalDays, setGoalDays] = useState(7);
  const [when, setWhen] = useState<'draft' | 'now' | 'schedule'>('draft');
  const [sendAt, setSendAt] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    setTemplateId(undefined);
    api.listTemplates({ channel, status: 'active', limit: 1000 }).then(
      (p) => live && setTemplates(p.data),
      (err: unknown) => live && (setTemplates([]), setError(err)),
    );
    return () => {
      live = false;
    };
  }, [api, channel]);

  const segment = segments.find((s) => s.id === segmentId);
  const excluded = segments.find((s) => s.id === excludeSegmentId);
  const template = templates.find((x) => x.id === templateId);
  const scheduleIso = localInputToIso(sendAt);
  const ready = !!name.trim() && !!segmentId && !!templateId && (when !== 'schedule' || !!scheduleIso);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const body: BroadcastBody = {
        name: name.trim(),
        channel,
        segmentId,
        templateId,
        holdoutPercent: holdout,
        goalDays,
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(excludeSegmentId ? { excludeSegmentId } : {}),
        ...(purpose ? { purpose } : {}),
        ...(goalEvent.trim() ? { goalEvent: goalEvent.trim() } : {}),
      };
      const b = await api.createBroadcast(body);
      if (when === 'now') await api.broadcastAction(b.id, 'send-now');
      if (when === 'schedule') await api.scheduleBroadcast(b.id, scheduleIso);
      message.success(t(`msgBroadcastCreated_${when}`));
      navigate(`messages/broadcasts/${encodeURIComponent(b.id)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const segmentOption = (s: (typeof segments)[number]) => ({ value: s.id, label: `${s.name} (${formatCount(s.memberCount, locale)})` });
  return (
    <Card title={t('msgNewBroadcast')}>
      <ErrorAlert error={segmentsError} />
      <Form layout="vertical" style={{ maxWidth: 880 }}>
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item label={t('name')} required>
              <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="bc-name" />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item label={t('description')}>
              <Input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
            </Form.Item>
          </Col>
        </Row>
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item label={t('msgAudienceSegment')} required>
              <Select
                showSearch={{ optionFilterProp: 'label' }}
                loading={segmentsLoading}
                value={segmentId}
                onChange={setSegmentId}
                options={segments.map(segmentOption)}
                data-testid="bc-segment"
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item label={t('msgExcludeSegment')}>
              <Select
                allowClear
                showSearch={{ optionFilterProp: 'label' }}
                value={excludeSegmentId}
                onChange={setExclude}
                options={segments.filter((s) => s.id !== segmentId).map(segmentOption)}
              />
            </Form.Item>
          </Col>
        </Row>
        {segment && (
          <Space size="large" wrap style={{ marginBottom: 16 }} data-testid="bc-audience">
            <Statistic title={t('msgSegmentSize')} value={segment.memberCount} data-testid="bc-audience-size" />
            {excluded && <Statistic title={t('msgExcludedAtMost')} value={excluded.memberCount} />}
            {holdout > 0 && <Statistic title={t('msgHoldoutShare')} value={holdout} suffix="%" />}
            <Typography.Text type="secondary" style={{ maxWidth: 360 }}>
              {segment.computing ? t('msgSegmentComputing') : t('msgAudienceNote')}
            </Typography.Text>
          </Space>
        )}
        <Row gutter={16}>
          <Col xs={24} md={8}>
            <Form.Item label={t('msgChannel')} required>
              <Select
                value={channel}
                onChange={setChannel}
                options={BROADCAST_CHANNELS.map((c) => ({ value: c, label: channelLabel(c) }))}
                data-testid="bc-channel"
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={10}>
            <Form.Item label={t('msgTemplate')} required extra={templates.length === 0 ? t('msgNoTemplatesForChannel') : undefined}>
              <Select
                showSearch={{ optionFilterProp: 'label' }}
                value={templateId}
                onChange={(id: string) => {
                  setTemplateId(id);
                  setPurpose(templates.find((x) => x.id === id)?.purpose);
                }}
                options={templates.map((x) => ({ value: x.id, label: x.name }))}
                data-testid="bc-template"
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item label={t('msgPurpose')} extra={template ? t('msgPurposeFromTemplate') : undefined}>
              <Select
                value={purpose}
                onChange={setPurpose}
                options={(['marketing', 'service'] as const).map((p) => ({ value: p, label: t(`msgPurpose_${p}`) }))}
                data-testid="bc-purpose"
              />
            </Form.Item>
          </Col>
        </Row>
        <Row gutter={16}>
          <Col xs={12} md={6}>
            <Form.Item label={t('msgHoldout')} extra={t('msgHoldoutHelp')}>
              <InputNumber min={0} max={50} precision={0} value={holdout} onChange={(v) => setHoldout(v ?? 0)} addonAfter="%" />
            </Form.Item>
          </Col>
          <Col xs={12} md={10}>
            <Form.Item label={t('msgGoalEvent')}>
              <Input value={goalEvent} onChange={(e) => setGoalEvent(e.target.value)} placeholder="Order Completed" />
            </Form.Item>
          </Col>
          <Col xs={12} md={8}>
            <Form.Item label={t('msgGoalDays')}>
              <InputNumber min={1} max={90} precision={0} value={goalDays} onChange={(v) => setGoalDays(v ?? 7)} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item label={t('msgWhen')}>
          <Radio.Group value={when} onChange={(e) => setWhen(e.target.value as typeof when)} data-testid="bc-when">
            <Radio value="draft" data-testid="bc-when-draft">
              {t('msgWhen_draft')}
            </Radio>
            <Radio value="now" data-testid="bc-when-now">
              {t('msgWhen_now')}
            </Radio>
            <Radio value="schedule" data-testid="bc-when-schedule">
              {t('msgWhen_schedule')}
            </Radio>
          </Radio.Group>
        </Form.Item>
        {when === 'schedule' && (
          <Form.Item label={t('msgSendAt')} extra={t('msgSendAtHelp')}>
            <Input type="datetime-local" value={sendAt} onChange={(e) => setSendAt(e.target.value)} style={{ maxWidth: 260 }} data-testid="bc-send-at" />
          </Form.Item>
        )}
      </Form>
      <ErrorAlert error={error} testId="bc-error" />
      <Space style={{ marginTop: 12 }}>
        <Button onClick={() => navigate('messages/broadcasts')}>{t('cancel')}</Button>
        <Button type="primary" loading={busy} disabled={!ready} onClick={submit} data-testid="bc-create">
          {t(`msgCreate_${when}`)}
        </Button>
      </Space>
    </Card>
  );
}
