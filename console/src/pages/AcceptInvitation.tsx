/** Accepting an invitation: the link's token, a name and a password; signs in on success. */
import { Alert, Button, Card, Form, Input } from 'antd';
import { useState } from 'react';
import { ApiError, type ConsoleSession, consoleAuth } from '../api.ts';
import { useI18n } from '../i18n.ts';

/** The invitation screen (`/console/accept-invitation?token=…`). */
export function AcceptInvitationPage({ onSignedIn }: { onSignedIn: (session: ConsoleSession) => void }) {
  const { t } = useI18n();
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (v: { name: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await consoleAuth.acceptInvitation(token, v.name ?? '', v.password));
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      setError(code === 'INVITATION_INVALID' ? t('invitationInvalid') : code === 'PASSWORD_TOO_WEAK' ? t('passwordTooWeak') : String((err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('acceptInvitationTitle')} style={{ maxWidth: 440, margin: '48px auto' }}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="accept-error" />}
      <Form layout="vertical" onFinish={submit} requiredMark={false}>
        <Form.Item name="name" label={t('yourName')}>
          <Input data-testid="invite-name" />
        </Form.Item>
        <Form.Item name="password" label={t('choosePassword')} rules={[{ required: true, min: 10, message: t('passwordTooWeak') }]}>
          <Input.Password autoComplete="new-password" data-testid="invite-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} block data-testid="accept-invitation">
          {t('acceptInvitation')}
        </Button>
      </Form>
    </Card>
  );
}
