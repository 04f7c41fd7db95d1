/**
 * Channel settings (GET /v1/channels: every channel with its fields, PUT /v1/channels/:channel)
 * and "send test" (POST /v1/messaging/channels/:channel/test), which sends one real message on
 * the channel now and shows the provider's outcome. Secrets are never shown: a set secret is kept
 * when its input is left empty. The WeCom channels send through the workspace's WeCom connection.
 */
import { Alert, App as AntApp, Button, Card, Checkbox, Descriptions, Form, Input, InputNumber, Space, Switch, Tabs, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { ApiError, type ChannelInfo, type ChannelTestResult } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { canChange, useSession } from '../../session.ts';
import { useChannelLabel } from './shared.tsx';

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 13 };

/** A test content to start from, for the channels that send provider-approved templates only. */
const TEST_CONTENT_EXAMPLE: Partial<Record<ChannelInfo['channel'], string>> = {
  sms: '{ "templateCode": "SMS_000000", "params": { "code": "1234" } }',
  wechat_oa: '{ "templateId": "", "data": { "first": "test" } }',
  miniprogram: '{ "templateId": "", "data": { "thing1": "test" } }',
};

/** The configuration form of one channel. */
function ConfigForm({ info, onSaved }: { info: ChannelInfo; onSaved: () => void }) {
  const { api, role } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [values, setValues] = useState<Record<string, unknown>>(info.config);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [clear, setClear] = useState<Record<string, boolean>>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const readOnly = !canChange(role);

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const body: Record<string, unknown> = {};
      for (const f of info.fields) if (values[f.name] !== undefined && values[f.name] !== '' && values[f.name] !== null) body[f.name] = values[f.name];
      for (const s of info.secrets) {
        if (clear[s.name]) body[s.name] = null;
        else if (secrets[s.name]) body[s.name] = secrets[s.name];
      }
      await api.saveChannel(info.channel, body);
      setSecrets({});
      setClear({});
      message.success(t('saved'));
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Form layout="vertical" disabled={readOnly} style={{ maxWidth: 560 }}>
      {info.fields.map((f) => (
        <Form.Item key={f.name} label={<Typography.Text code>{f.name}</Typography.Text>} required={f.required}>
          {f.type === 'bool' ? (
            <Switch checked={values[f.name] === true} onChange={(v) => setValues((x) => ({ ...x, [f.name]: v }))} data-testid={`channel-field-${f.name}`} />
          ) : f.type === 'int' ? (
            <InputNumber
              min={0}
              precision={0}
              value={typeof values[f.name] === 'number' ? (values[f.name] as number) : null}
              onChange={(v) => setValues((x) => ({ ...x, [f.name]: v ?? undefined }))}
              data-testid={`channel-field-${f.name}`}
            />
          ) : (
            <Input
              value={typeof values[f.name] === 'string' ? (values[f.name] as string) : ''}
              placeholder={f.type === 'url' ? 'https://' : undefined}
              onChange={(e) => setValues((x) => ({ ...x, [f.name]: e.target.value }))}
              data-testid={`channel-field-${f.name}`}
            />
          )}
        </Form.Item>
      ))}
      {info.secrets.map((s) => {
        const set = info.secretsSet.includes(s.name);
        return (
          <Form.Item
            key={s.name}
            label={
              <Space size={4}>
                <Typography.Text code>{s.name}</Typography.Text>
                {set ? <Tag color="green">{t('msgSecretSet')}</Tag> : <Tag>{t('msgSecretNotSet')}</Tag>}
              </Space>
            }
            required={s.required && !set}
            extra={t('msgSecretHelp')}
          >
            <Input.Password
              autoComplete="new-password"
              value={secrets[s.name] ?? ''}
              disabled={clear[s.name]}
              placeholder={set ? t('msgSecretKeep') : ''}
              onChange={(e) => setSecrets((x) => ({ ...x, [s.name]: e.target.value }))}
              data-testid={`channel-secret-${s.name}`}
            />
            {set && !s.required && (
              <Checkbox checked={!!clear[s.name]} onChange={(e) => setClear((x) => ({ ...x, [s.name]: e.target.checked }))}>
                {t('msgSecretClear')}
              </Checkbox>
            )}
          </Form.Item>
        );
      })}
      <ErrorAlert error={error} testId="channel-error" />
      {!readOnly && (
        <Button type="primary" loading={saving} onClick={save} style={{ marginTop: 8 }} data-testid="channel-save">
          {t('save')}
        </Button>
      )}
    </Form>
  );
}

/** "Send test": a real message on the channel now, to the address given, and the provider's outcome. */
function TestSend({ info }: { info: ChannelInfo }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [to, setTo] = useState('');
  const [sender, setSender] = useState('');
  const [content, setContent] = useState(TEST_CONTENT_EXAMPLE[info.channel] ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<ChannelTestResult | null>(null);
  const needsSender = info.address === 'external_userid' || info.address === 'group';

  const send = async () => {
    let parsed: Record<string, unknown> | undefined;
    if (content.trim()) {
      try {
        parsed = JSON.parse(content) as Record<string, unknown>;
      } catch (err) {
        return setError(new Error(t('msgJsonProblem', { where: 'content', message: (err as Error).message })));
      }
    }
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(
        await api.testChannel(info.channel, {
          ...(info.address !== 'none' ? { to: to.trim() } : {}),
          ...(needsSender && sender.trim() ? { sender: sender.trim() } : {}),
          ...(parsed ? { content: parsed } : {}),
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form layout="vertical" style={{ maxWidth: 560 }}>
      <Typography.Paragraph type="secondary">{t('msgTestHelp')}</Typography.Paragraph>
      {info.address !== 'none' && (
        <Form.Item label={t(`msgAddress_${info.address}`)} required>
          <Input value={to} onChange={(e) => setTo(e.target.value)} data-testid="channel-test-to" />
        </Form.Item>
      )}
      {needsSender && (
        <Form.Item label={t('msgTestSender')} extra={t('msgTestSenderHelp')}>
          <Input value={sender} onChange={(e) => setSender(e.target.value)} />
        </Form.Item>
      )}
      <Form.Item label={t('msgTestContent')} required={info.testContent === 'required'} extra={t(`msgTestContent_${info.testContent}`)}>
        <Input.TextArea
          value={content}
          onChange={(e) => setContent(e.target.value)}
          autoSize={{ minRows: 2, maxRows: 10 }}
          style={mono}
          spellCheck={false}
          data-testid="channel-test-content"
        />
      </Form.Item>
      <Button onClick={send} loading={busy} data-testid="channel-test-send">
        {t('msgSendTest')}
      </Button>
      <div style={{ marginTop: 12 }} data-testid="channel-test-result">
        <ErrorAlert error={error} testId="channel-test-error" />
        {result && (
          <Alert
            type={result.status === 'sent' ? 'success' : 'error'}
            showIcon
            title={<span data-testid="channel-test-status">{t(`msgTest_${result.status}`)}</span>}
            description={
              <Descriptions size="small" column={1}>
                <Descriptions.Item label={t('msgMessageId')}>{result.messageId}</Descriptions.Item>
                {result.providerMessageId && <Descriptions.Item label={t('msgProviderId')}>{result.providerMessageId}</Descriptions.Item>}
                {result.errorCode && (
                  <Descriptions.Item label={t('msgErrorCode')}>
                    <Typography.Text code data-testid="channel-test-code">
                      {result.errorCode}
                    </Typography.Text>
                  </Descriptions.Item>
                )}
                {result.reason && <Descriptions.Item label={t('colReason')}>{result.reason}</Descriptions.Item>}
                {result.message && <Descriptions.Item label={t('msgProviderMessage')}>{result.message}</Descriptions.Item>}
              </Descriptions>
            }
          />
        )}
      </div>
    </Form>
  );
}

/** The WeCom channels: no settings here, the state of the workspace's WeCom connection instead. */
function WeComConnection() {
  const { api } = useSession();
  const { t } = useI18n();
  const [state, setState] = useState<'checking' | 'connected' | 'missing' | 'error'>('checking');
  useEffect(() => {
    let live = true;
    api.wecomConnection().then(
      () => live && setState('connected'),
      (err: unknown) => live && setState(err instanceof ApiError && err.status === 404 ? 'missing' : 'error'),
    );
    return () => {
      live = false;
    };
  }, [api]);
  return (
    <Alert
      type={state === 'connected' ? 'success' : state === 'checking' ? 'info' : 'warning'}
      showIcon
      data-testid="wecom-connection"
      title={t(`msgWecom_${state}`)}
      description={t('msgWecomHelp')}
    />
  );
}

/** The channels screen. */
export function ChannelsPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const channelLabel = useChannelLabel();
  const [channels, setChannels] = useState<ChannelInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [active, setActive] = useState<string>(new URLSearchParams(window.location.search).get('channel') ?? 'wecom');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    api.channels().then(
      (p) => live && setChannels(p.data),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, tick]);

  if (error) return <ErrorAlert error={error} />;
  if (!channels) return <Card loading title={t('msgChannelsTitle')} />;
  return (
    <Card title={t('msgChannelsTitle')}>
      <Tabs
        activeKey={active}
        onChange={setActive}
        items={channels.map((c) => ({
          key: c.channel,
          label: (
            <span data-testid={`channel-tab-${c.channel}`}>
              {channelLabel(c.channel)} {c.configured && <Tag color="green">{t('msgConfigured')}</Tag>}
            </span>
          ),
          children: (
            <Space orientation="vertical" size="large" style={{ width: '100%' }}>
              {c.connection === 'wecom' ? (
                <WeComConnection />
              ) : (
                <Card
                  size="small"
                  title={t('msgChannelSettings')}
                  extra={c.updatedAt && <Typography.Text type="secondary">{formatTime(c.updatedAt, locale)}</Typography.Text>}
                >
                  <ConfigForm key={`${c.channel}-${c.updatedAt}`} info={c} onSaved={() => setTick((n) => n + 1)} />
                </Card>
              )}
              {canChange(role) && (
                <Card size="small" title={t('msgSendTest')}>
                  <TestSend info={c} />
                </Card>
              )}
            </Space>
          ),
        }))}
      />
    </Card>
  );
}
