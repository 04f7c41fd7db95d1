/** Settings → Users: the workspace's console users, their roles, invitations emailed or linked (owner only; the API enforces it). */
import { Alert, App as AntApp, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { InvitationAnswer, Role, UserMember } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { type MessageKey, useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';

const ROLES: Role[] = ['owner', 'operator', 'analyst', 'guide'];

/** The role's label key. */
export const roleKey = (r: Role): MessageKey => `role_${r}` as MessageKey;

/** The users screen. */
export function UsersPage() {
  const { api, user } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const pages = useCursorPages((cursor) => api.users(cursor), 'users');
  const [inviting, setInviting] = useState(false);
  const [link, setLink] = useState<InvitationAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [form] = Form.useForm<{ email: string; role: Role; wecomUserId?: string }>();
  const role = Form.useWatch('role', form);

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      message.success(t('saved'));
      pages.reload({ quiet: true });
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Card
      title={t('usersTitle')}
      extra={
        <Button type="primary" onClick={() => setInviting(true)} data-testid="invite-user">
          {t('inviteUser')}
        </Button>
      }
    >
      <ErrorAlert error={error ?? pages.error} testId="users-error" />
      <Table<UserMember>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        data-testid="users-table"
        scroll={{ x: true }}
        columns={[
          { title: t('name'), dataIndex: 'name' },
          { title: t('email'), dataIndex: 'email' },
          {
            title: t('role'),
            dataIndex: 'role',
            render: (r: Role, m) =>
              m.id === user.id ? (
                <Tag color="blue">{t(roleKey(r))}</Tag>
              ) : (
                <Select<Role>
                  size="small"
                  value={r}
                  style={{ width: 140 }}
                  data-testid={`role-${m.email}`}
                  options={ROLES.filter((x) => x !== 'guide' || m.wecomUserId).map((x) => ({ value: x, label: t(roleKey(x)) }))}
                  onChange={(next) => act(() => api.updateUser(m.id, { role: next }))}
                />
              ),
          },
          { title: t('wecomStaff'), dataIndex: 'wecomUserId', render: (v: string | null) => v ?? t('none') },
          { title: t('joinedAt'), dataIndex: 'joinedAt', render: (v: string) => formatTime(v, locale) },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, m) =>
              m.id !== user.id && (
                <Popconfirm title={t('removeUserConfirm', { email: m.email })} onConfirm={() => act(() => api.removeUser(m.id))}>
                  <Button size="small" danger data-testid={`remove-${m.email}`}>
                    {t('remove')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <CursorPager pages={pages} />
      <Modal
        open={inviting}
        title={t('inviteUser')}
        okText={t('createInvitation')}
        onCancel={() => {
          setInviting(false);
          setLink(null);
          form.resetFields();
        }}
        onOk={() => (link ? setInviting(false) : form.submit())}
        okButtonProps={{ 'data-testid': 'invite-submit' } as Record<`data-${string}`, string>}
      >
        {link ? (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Alert
              showIcon
              type={link.email.status === 'sent' ? 'success' : link.email.status === 'failed' ? 'warning' : 'info'}
              data-testid="invitation-email-status"
              data-status={link.email.status}
              title={t(
                link.email.status === 'sent'
                  ? 'invitationEmailSent'
                  : link.email.status === 'failed'
                    ? 'invitationEmailFailed'
                    : 'invitationEmailNotConfigured',
                { email: link.invitation.email ?? '' },
              )}
              description={link.email.error ?? undefined}
            />
            {link.email.status !== 'sent' && <Typography.Paragraph>{t('invitationLinkHelp', { email: link.invitation.email ?? '' })}</Typography.Paragraph>}
            <Typography.Paragraph copyable code data-testid="invitation-link">
              {link.acceptUrl}
            </Typography.Paragraph>
          </Space>
        ) : (
          <Form
            form={form}
            layout="vertical"
            initialValues={{ role: 'operator' }}
            onFinish={(v) =>
              act(async () =>
                setLink(await api.invite({ email: v.email.trim(), role: v.role, locale, ...(v.role === 'guide' ? { wecomUserId: v.wecomUserId } : {}) })),
              )
            }
          >
            <Form.Item name="email" label={t('email')} rules={[{ required: true, type: 'email', message: t('emailInvalid') }]}>
              <Input data-testid="invite-email" />
            </Form.Item>
            <Form.Item name="role" label={t('role')}>
              <Select<Role> data-testid="invite-role" options={ROLES.map((x) => ({ value: x, label: t(roleKey(x)) }))} />
            </Form.Item>
            {role === 'guide' && (
              <Form.Item name="wecomUserId" label={t('wecomStaff')} rules={[{ required: true, message: t('guideNeedsStaff') }]}>
                <Input data-testid="invite-wecom" />
              </Form.Item>
            )}
            <Typography.Paragraph type="secondary">{t(`roleHelp_${role ?? 'operator'}` as MessageKey)}</Typography.Paragraph>
            <Typography.Text type="secondary">{t('invitationEmailHint')}</Typography.Text>
          </Form>
        )}
      </Modal>
    </Card>
  );
}
