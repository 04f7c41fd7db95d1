/** Settings → API keys: list with each key's last use, create (shown once), revoke (owner only; the API enforces it). */
import { App as AntApp, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { CreatedKey, KeyInfo } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';

/** The API keys screen. */
export function ApiKeysPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const pages = useCursorPages((cursor) => api.keys(cursor), 'keys');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [form] = Form.useForm<{ kind: 'write' | 'secret'; name: string }>();

  const close = () => {
    setCreating(false);
    setCreated(null);
    form.resetFields();
  };
  return (
    <Card
      title={t('apiKeysTitle')}
      extra={
        <Space>
          <Button onClick={() => pages.reload()} data-testid="keys-refresh">
            {t('refresh')}
          </Button>
          <Button type="primary" onClick={() => setCreating(true)} data-testid="create-key">
            {t('createKey')}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">
        {t('apiKeysHelp')} {t('keyLastUsedHelp')}
      </Typography.Paragraph>
      <ErrorAlert error={error ?? pages.error} />
      <Table<KeyInfo>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        data-testid="keys-table"
        scroll={{ x: true }}
        columns={[
          { title: t('name'), dataIndex: 'name' },
          { title: t('keyKind'), dataIndex: 'kind', render: (k: string) => <Tag>{k === 'secret' ? t('keySecret') : t('keyWrite')}</Tag> },
          { title: t('keyPrefix'), dataIndex: 'prefix', render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
          { title: t('createdAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
          {
            title: t('keyLastUsed'),
            dataIndex: 'lastUsedAt',
            render: (v: string | null) => (
              <span data-testid="key-last-used">{v ? formatTime(v, locale) : <Typography.Text type="secondary">{t('keyNeverUsed')}</Typography.Text>}</span>
            ),
          },
          {
            title: t('status'),
            dataIndex: 'revokedAt',
            render: (v: string | null) => (v ? <Tag color="red">{t('revokedAt', { at: formatTime(v, locale) })}</Tag> : <Tag color="green">{t('active')}</Tag>),
          },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, k) =>
              !k.revokedAt && (
                <Popconfirm
                  title={t('revokeKeyConfirm')}
                  onConfirm={async () => {
                    try {
                      await api.revokeKey(k.id);
                      message.success(t('saved'));
                      pages.reload({ quiet: true });
                    } catch (err) {
                      setError(err);
                    }
                  }}
                >
                  <Button size="small" danger>
                    {t('revoke')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <CursorPager pages={pages} />
      <Modal
        open={creating}
        title={t('createKey')}
        onCancel={close}
        onOk={() => (created ? close() : form.submit())}
        okButtonProps={{ 'data-testid': 'create-key-submit' } as Record<`data-${string}`, string>}
      >
        {created ? (
          <>
            <Typography.Paragraph type="warning">{t('keyShownOnce')}</Typography.Paragraph>
            <Typography.Paragraph copyable code data-testid="new-key">
              {created.key}
            </Typography.Paragraph>
          </>
        ) : (
          <Form
            form={form}
            layout="vertical"
            initialValues={{ kind: 'write' }}
            onFinish={async (v) => {
              try {
                setCreated(await api.createKey(v.kind, v.name.trim()));
                pages.reload({ quiet: true });
              } catch (err) {
                setError(err);
              }
            }}
          >
            <Form.Item name="name" label={t('name')} rules={[{ required: true, message: t('nameRequired') }]}>
              <Input data-testid="key-name" />
            </Form.Item>
            <Form.Item name="kind" label={t('keyKind')}>
              <Select
                options={[
                  { value: 'write', label: t('keyWrite') },
                  { value: 'secret', label: t('keySecret') },
                ]}
              />
            </Form.Item>
          </Form>
        )}
      </Modal>
    </Card>
  );
}
