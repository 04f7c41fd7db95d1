/**
 * The workspace's WeCom connection (GET/PUT/DELETE /v1/wecom/connection) and its test (POST
 * /v1/wecom/connection/test): everyone reads it and may test it; only the owner edits or removes it
 * (the API refuses others).
 */
import { App as AntApp, Alert, Button, Card, Descriptions, Empty, Form, Input, Popconfirm, Space, Spin, Table, Typography } from 'antd';
import { useState } from 'react';
import { ApiError, type WeComConnection, type WeComConnectionBody, type WeComConnectionTest } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';
import { StatusTag, useLoad } from './shared.tsx';
import { SyncCard } from './SyncCard.tsx';

/** The result of a test: each check, how long WeCom took, what it refused and why. */
function TestResult({ result }: { result: WeComConnectionTest }) {
  const { t, locale } = useI18n();
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="connection-test-result">
      <Alert
        type={result.ok ? 'success' : 'error'}
        showIcon
        title={result.ok ? t('scrmTestOk') : t('scrmTestFailed')}
        description={
          <span data-testid="connection-test-summary">
            {result.followUsers !== null && t('scrmTestFollowUsers', { n: result.followUsers })}{' '}
            {t('scrmTestLastCallback', { at: result.lastCallbackAt ? formatTime(result.lastCallbackAt, locale) : t('scrmNever') })}
          </span>
        }
        data-testid={result.ok ? 'connection-test-ok' : 'connection-test-failed'}
      />
      <Table
        size="small"
        rowKey="check"
        pagination={false}
        dataSource={result.checks}
        columns={[
          { title: t('scrmCheck'), dataIndex: 'check', render: (c: string) => t(c === 'token' ? 'scrmCheck_token' : 'scrmCheck_contact_api') },
          { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} testId={`check-status`} /> },
          { title: t('scrmCheckMs'), dataIndex: 'ms', render: (ms: number | null) => (ms === null ? '—' : `${ms} ms`) },
          {
            title: t('scrmCheckProblem'),
            key: 'problem',
            render: (_, c) =>
              c.status === 'failed' ? (
                <Space orientation="vertical" size={0}>
                  {c.hint && <Typography.Text strong>{`${c.errcode ?? ''} ${locale === 'en' ? c.hint.en : c.hint.zh}`.trim()}</Typography.Text>}
                  <Typography.Text type="secondary">{c.message}</Typography.Text>
                </Space>
              ) : (
                '—'
              ),
          },
        ]}
      />
    </Space>
  );
}

/** The owner's form: every field is sent each time (the API keeps no partial changes); secrets are never shown back. */
function ConnectionForm({
  current,
  onSaved,
  onCancel,
}: {
  current: WeComConnection | undefined;
  onSaved: (c: WeComConnection) => void;
  onCancel?: () => void;
}) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<WeComConnectionBody>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.scrm.saveConnection({ ...v, agentId: v.agentId || null, apiBaseUrl: v.apiBaseUrl || null }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Form
      form={form}
      layout="vertical"
      style={{ maxWidth: 640 }}
      initialValues={{ corpId: current?.corpId, agentId: current?.agentId ?? undefined, apiBaseUrl: current?.apiBaseUrl }}
      data-testid="connection-form"
    >
      <Form.Item name="corpId" label={t('scrmCorpId')} extra={t('scrmCorpIdHelp')} rules={[{ required: true, whitespace: true }]}>
        <Input data-testid="conn-corp-id" autoComplete="off" />
      </Form.Item>
      <Form.Item
        name="secret"
        label={t('scrmSecret')}
        extra={current ? t('scrmSecretAgain') : t('scrmSecretHelp')}
        rules={[{ required: true, whitespace: true }]}
      >
        <Input.Password data-testid="conn-secret" autoComplete="new-password" />
      </Form.Item>
      <Form.Item name="callbackToken" label={t('scrmCallbackToken')} rules={[{ required: true, whitespace: true }]}>
        <Input.Password data-testid="conn-token" autoComplete="new-password" />
      </Form.Item>
      <Form.Item name="encodingAesKey" label={t('scrmAesKey')} extra={t('scrmAesKeyHelp')} rules={[{ required: true, len: 43 }]}>
        <Input.Password data-testid="conn-aes-key" autoComplete="new-password" />
      </Form.Item>
      <Form.Item name="agentId" label={t('scrmAgentId')} extra={t('scrmAgentIdHelp')}>
        <Input data-testid="conn-agent-id" />
      </Form.Item>
      <Form.Item name="apiBaseUrl" label={t('scrmApiBaseUrl')} extra={t('scrmApiBaseUrlHelp')}>
        <Input placeholder="https://qyapi.weixin.qq.com" data-testid="conn-api-base-url" />
      </Form.Item>
      <ErrorAlert error={error} testId="connection-error" />
      <Space style={{ marginTop: 12 }}>
        <Button type="primary" loading={busy} onClick={submit} data-testid="conn-save">
          {t('scrmSaveAndTest')}
        </Button>
        {onCancel && <Button onClick={onCancel}>{t('cancel')}</Button>}
      </Space>
    </Form>
  );
}

/** The connection screen. */
export function ConnectionPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const conn = useLoad(() => api.scrm.connection(), [api]);
  const [editing, setEditing] = useState(false);
  const [test, setTest] = useState<{ running: boolean; result?: WeComConnectionTest; error?: unknown }>({ running: false });
  const owner = role === 'owner';
  const missing = conn.error instanceof ApiError && conn.error.code === 'WECOM_NOT_CONNECTED';

  const runTest = async () => {
    setTest({ running: true });
    try {
      setTest({ running: false, result: await api.scrm.testConnection() });
    } catch (error) {
      setTest({ running: false, error });
    }
  };
  const saved = () => {
    setEditing(false);
    message.success(t('saved'));
    conn.reload();
    void runTest();
  };
  const remove = async () => {
    try {
      await api.scrm.removeConnection();
      setTest({ running: false });
      conn.reload();
    } catch (error) {
      setTest({ running: false, error });
    }
  };

  if (conn.loading && !conn.data) return <Spin style={{ display: 'block', margin: 48 }} />;
  const c = conn.data;
  return (
    <Card title={t('scrmConnectionTitle')} data-testid="scrm-connection">
      {!missing && <ErrorAlert error={conn.error} />}
      {missing && !editing && (
        <Empty description={owner ? t('scrmNotConnectedOwner') : t('scrmNotConnected')} data-testid="connection-missing">
          {owner && (
            <Button type="primary" onClick={() => setEditing(true)} data-testid="conn-connect">
              {t('scrmConnect')}
            </Button>
          )}
        </Empty>
      )}
      {editing && owner && <ConnectionForm current={c} onSaved={saved} onCancel={() => setEditing(false)} />}
      {c && !editing && (
        <Space orientation="vertical" size="large" style={{ width: '100%' }}>
          <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} data-testid="connection-details">
            <Descriptions.Item label={t('scrmCorpId')}>
              <span data-testid="conn-corp">{c.corpId}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('scrmAgentId')}>{c.agentId ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('scrmApiBaseUrl')}>{c.apiBaseUrl}</Descriptions.Item>
            <Descriptions.Item label={t('scrmSecrets')}>
              {[c.secretSet && 'Secret', c.callbackTokenSet && 'Token', c.encodingAesKeySet && 'EncodingAESKey'].filter(Boolean).join(' · ')}
            </Descriptions.Item>
            <Descriptions.Item label={t('scrmCallbackUrl')} span={2}>
              <Typography.Text copyable data-testid="conn-callback-url">{`${window.location.origin}${c.callbackPath}`}</Typography.Text>
              <div>
                <Typography.Text type="secondary">{t('scrmCallbackUrlHelp')}</Typography.Text>
              </div>
            </Descriptions.Item>
            <Descriptions.Item label={t('scrmUpdated')}>{formatTime(c.updatedAt, locale)}</Descriptions.Item>
          </Descriptions>
          <Space wrap>
            <Button type="primary" loading={test.running} onClick={runTest} data-testid="conn-test">
              {t('scrmTestConnection')}
            </Button>
            {owner && (
              <>
                <Button onClick={() => setEditing(true)} data-testid="conn-edit">
                  {t('edit')}
                </Button>
                <Popconfirm title={t('scrmDisconnectConfirm')} onConfirm={remove}>
                  <Button danger data-testid="conn-remove">
                    {t('scrmDisconnect')}
                  </Button>
                </Popconfirm>
              </>
            )}
          </Space>
          {test.running && <Typography.Text type="secondary">{t('scrmTesting')}</Typography.Text>}
          <ErrorAlert error={test.error} />
          {test.result && <TestResult result={test.result} />}
          <SyncCard />
        </Space>
      )}
    </Card>
  );
}
