/**
 * Settings → Privacy requests (owner only; the API enforces it): data-subject requests with their
 * status and due date (15 working days), a form to record one, the archive of an export to
 * download (which completes it and is recorded in the audit log), erasure and correction requests
 * carried out after a confirmation, and rejection with a reason.
 */
import { App as AntApp, Button, Card, Form, Input, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { NewPrivacyRequestBody, PrivacyRequest } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';

const STATUS_COLOR: Record<PrivacyRequest['status'], string> = { received: 'blue', in_progress: 'gold', completed: 'green', rejected: 'default' };

/** Saves a blob as a file through a temporary link. */
function saveBlob(blob: Blob, file: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The privacy requests screen. */
export function PrivacyRequestsPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<NewPrivacyRequestBody>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState('');
  const pages = useCursorPages((cursor) => api.privacyRequests({ limit: 50, cursor }), 'privacy');

  const create = async (body: NewPrivacyRequestBody) => {
    setError(null);
    setBusy(true);
    try {
      const r = await api.createPrivacyRequest({ kind: body.kind, subject: body.subject, ...(body.note ? { note: body.note } : {}) });
      message.success(t('privacyCreated', { date: r.dueDate }));
      form.resetFields(['subject', 'note']);
      pages.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const download = async (r: PrivacyRequest) => {
    setError(null);
    try {
      const file = `privacy-${r.id}.zip`;
      saveBlob(await api.privacyArchive(r.id), file);
      message.success(t('exportDone', { file }));
      pages.reload();
    } catch (err) {
      setError(err);
    }
  };
  const reject = async (r: PrivacyRequest) => {
    setError(null);
    try {
      await api.rejectPrivacyRequest(r.id, reason.trim());
      setReason('');
      pages.reload();
    } catch (err) {
      setError(err);
    }
  };
  const carryOut = async (r: PrivacyRequest) => {
    setError(null);
    try {
      await api.carryOutPrivacyRequest(r.id);
      message.success(t('privacyCarriedOut'));
      pages.reload();
    } catch (err) {
      setError(err);
      pages.reload();
    }
  };
  const open = (r: PrivacyRequest) => r.status === 'received' || r.status === 'in_progress';

  return (
    <Card title={t('privacyTitle')}>
      <Typography.Paragraph type="secondary">{t('privacyHelp')}</Typography.Paragraph>
      <Form form={form} layout="inline" initialValues={{ kind: 'export' }} onFinish={create} style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item name="kind" label={t('privacyKind')} rules={[{ required: true }]}>
          <Select
            style={{ width: 120 }}
            data-testid="privacy-kind"
            options={(['export', 'erasure', 'correction'] as const).map((k) => ({ value: k, label: t(`privacyKind_${k}`) }))}
          />
        </Form.Item>
        <Form.Item name="subject" label={t('privacySubject')} tooltip={t('privacySubjectHelp')} rules={[{ required: true, whitespace: true }]}>
          <Input style={{ width: 280 }} placeholder="phone:+8613800138000" data-testid="privacy-subject" />
        </Form.Item>
        <Form.Item name="note" label={t('privacyNote')}>
          <Input style={{ width: 220 }} data-testid="privacy-note" />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="privacy-create">
            {t('privacyCreate')}
          </Button>
        </Form.Item>
      </Form>
      <Typography.Paragraph type="secondary">{t('privacyNoWork')}</Typography.Paragraph>
      <ErrorAlert error={error ?? pages.error} />
      <Table<PrivacyRequest>
        rowKey="id"
        size="small"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        data-testid="privacy-table"
        columns={[
          { title: t('privacyReceived'), dataIndex: 'receivedAt', render: (v: string) => formatTime(v, locale) },
          { title: t('privacyKind'), dataIndex: 'kind', render: (k: PrivacyRequest['kind']) => t(`privacyKind_${k}`) },
          {
            title: t('privacySubject'),
            key: 'subject',
            render: (_, r) => (
              <Space size={4} direction="vertical">
                <Typography.Text code>{r.subject}</Typography.Text>
                {r.profileId ? <Typography.Text type="secondary">{r.profileId}</Typography.Text> : <Tag>{t('privacyUnknown')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('privacyStatus'),
            key: 'status',
            render: (_, r) => (
              <Space size={4}>
                <Tag color={STATUS_COLOR[r.status]} data-testid="privacy-status">
                  {t(`privacyStatus_${r.status}`)}
                </Tag>
                {r.overdue && <Tag color="red">{t('privacyOverdue')}</Tag>}
              </Space>
            ),
          },
          { title: t('privacyDue'), dataIndex: 'dueDate', render: (v: string) => <span data-testid="privacy-due">{v}</span> },
          {
            key: 'actions',
            render: (_, r) => (
              <Space>
                {r.kind === 'export' && r.status !== 'rejected' && (
                  <Button size="small" onClick={() => download(r)} data-testid="privacy-download">
                    {t('privacyDownload')}
                  </Button>
                )}
                {open(r) && r.kind !== 'export' && (
                  <Popconfirm
                    title={<div style={{ maxWidth: 360 }}>{t(r.kind === 'erasure' ? 'privacyConfirmErasure' : 'privacyConfirmCorrection')}</div>}
                    okButtonProps={{ danger: r.kind === 'erasure', 'data-testid': 'privacy-carry-out-ok' } as never}
                    onConfirm={() => carryOut(r)}
                  >
                    <Button size="small" type="primary" danger={r.kind === 'erasure'} data-testid="privacy-carry-out">
                      {t('privacyCarryOut')}
                    </Button>
                  </Popconfirm>
                )}
                {open(r) && (
                  <Popconfirm
                    title={
                      <Input
                        placeholder={t('privacyRejectReason')}
                        value={reason}
                        onChange={(e) => setReason(e.target.value)}
                        data-testid="privacy-reject-reason"
                      />
                    }
                    okButtonProps={{ disabled: !reason.trim(), 'data-testid': 'privacy-reject-ok' } as never}
                    onConfirm={() => reject(r)}
                  >
                    <Button size="small" danger data-testid="privacy-reject">
                      {t('privacyReject')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      <CursorPager pages={pages as never} />
    </Card>
  );
}
