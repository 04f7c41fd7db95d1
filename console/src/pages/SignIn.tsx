/** Sign in with a secret key: checked with GET /v1/workspace before it is kept. */
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { createApi, type Workspace } from '../api.ts';
import { useI18n } from '../i18n.ts';

/** The sign-in screen. */
export function SignInPage({ notice, onSignedIn }: { notice?: string; onSignedIn: (key: string, workspace: Workspace) => void }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async ({ key }: { key: string }) => {
    const trimmed = key.trim();
    setBusy(true);
    setError(null);
    try {
      const workspace = await createApi(trimmed).workspace();
      onSignedIn(trimmed, workspace);
    } catch (err) {
      setError(t('signInFailed', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t('signInTitle')} style={{ maxWidth: 520, margin: '64px auto' }}>
      <Typography.Paragraph type="secondary">{t('signInHelp')}</Typography.Paragraph>
      {notice && <Alert type="warning" showIcon title={notice} style={{ marginBottom: 16 }} />}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="sign-in-error" />}
      <Form layout="vertical" onFinish={submit} requiredMark={false}>
        <Form.Item name="key" label={t('secretKey')} rules={[{ required: true, pattern: /^\s*sk_\S+\s*$/, message: t('keyMustStartSk') }]}>
          <Input.Password placeholder="sk_..." autoComplete="off" data-testid="secret-key" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} block data-testid="sign-in">
          {t('signIn')}
        </Button>
      </Form>
    </Card>
  );
}
