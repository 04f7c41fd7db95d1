/** Sign in with email and password (the server sets the session cookie). */
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { ApiError, type ConsoleSession, consoleAuth } from '../api.ts';
import { useI18n } from '../i18n.ts';

/** The sign-in screen. */
export function SignInPage({ notice, onSignedIn }: { notice?: string; onSignedIn: (session: ConsoleSession) => void }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async ({ email, password }: { email: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await consoleAuth.login(email.trim(), password));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'LOGIN_FAILED') setError(t('signInWrong'));
      else if (err instanceof ApiError && err.code === 'LOGIN_THROTTLED') {
        setError(t('signInThrottled', { s: (err.details as { retryAfterS?: number } | undefined)?.retryAfterS ?? 900 }));
      } else setError(t('signInFailed', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t('signInTitle')} style={{ maxWidth: 440, margin: '48px auto' }}>
      <Typography.Paragraph type="secondary">{t('signInHelp')}</Typography.Paragraph>
      {notice && <Alert type="warning" showIcon title={notice} style={{ marginBottom: 16 }} />}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="sign-in-error" />}
      <Form layout="vertical" onFinish={submit} requiredMark={false}>
        <Form.Item name="email" label={t('email')} rules={[{ required: true, type: 'email', message: t('emailInvalid') }]}>
          <Input autoComplete="username" data-testid="email" />
        </Form.Item>
        <Form.Item name="password" label={t('password')} rules={[{ required: true, message: t('passwordRequired') }]}>
          <Input.Password autoComplete="current-password" data-testid="password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} block data-testid="sign-in">
          {t('signIn')}
        </Button>
      </Form>
    </Card>
  );
}
