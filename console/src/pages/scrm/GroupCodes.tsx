/**
 * Group live codes (群活码, /v1/wecom/group-codes): one QR code over an ordered list of customer
 * groups that moves on when the current group is full. The list; a drawer with the QR image and each
 * group's size and position; creating and editing (operators), re-checking now, deleting.
 */
import {
  App as AntApp,
  Button,
  Card,
  Drawer,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Progress,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import type { GroupCode, GroupCodeCreateBody } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { canChange, useSession } from '../../session.ts';
import { allPages, QrImage, StatusTag, useLoad } from './shared.tsx';

/** The create / edit form. */
function GroupCodeForm({ code, onDone }: { code: GroupCode | null; onDone: (saved: GroupCode | null) => void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<GroupCodeCreateBody>();
  const groups = useLoad(() => allPages((cursor) => api.scrm.groups({ status: 'active', limit: 500, cursor })), [api]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      const body = { ...v, roomBaseName: v.roomBaseName || null, roomBaseId: v.roomBaseId ?? null };
      onDone(code ? await api.scrm.updateGroupCode(code.id, body) : await api.scrm.createGroupCode(body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={code ? t('scrmEditGroupCode') : t('scrmNewGroupCode')}
      onCancel={() => onDone(null)}
      onOk={submit}
      confirmLoading={busy}
      okText={t('save')}
      width={640}
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={
          code
            ? {
                name: code.name,
                chatIds: code.groups.map((g) => g.chatId),
                memberLimit: code.memberLimit,
                autoCreateRoom: code.autoCreateRoom,
                roomBaseName: code.roomBaseName,
                roomBaseId: code.roomBaseId,
              }
            : { memberLimit: 200, autoCreateRoom: false, chatIds: [] }
        }
      >
        <Form.Item name="name" label={t('colName')} rules={[{ required: true, whitespace: true, max: 64 }]}>
          <Input data-testid="gc-name" />
        </Form.Item>
        <Form.Item name="chatIds" label={t('scrmGroupCodeGroups')} extra={t('scrmGroupCodeGroupsHelp')} rules={[{ required: true, type: 'array', min: 1 }]}>
          <Select
            mode="multiple"
            loading={groups.loading}
            showSearch={{ optionFilterProp: 'label' }}
            options={(groups.data ?? []).map((g) => ({ value: g.chatId, label: `${g.name || g.chatId} (${g.memberCount})` }))}
            data-testid="gc-groups"
          />
        </Form.Item>
        <Space wrap size="large">
          <Form.Item name="memberLimit" label={t('scrmMemberLimit')} extra={t('scrmMemberLimitHelp')}>
            <InputNumber min={1} max={200} />
          </Form.Item>
          <Form.Item name="autoCreateRoom" label={t('scrmAutoCreateRoom')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item name="roomBaseName" label={t('scrmRoomBaseName')}>
            <Input maxLength={40} />
          </Form.Item>
          <Form.Item name="roomBaseId" label={t('scrmRoomBaseId')}>
            <InputNumber min={0} />
          </Form.Item>
        </Space>
      </Form>
      <ErrorAlert error={error} />
    </Modal>
  );
}

/** A code's QR and groups. */
function GroupCodeDrawer({ code, onClose, onChanged }: { code: GroupCode; onClose: () => void; onChanged: (c: GroupCode | null) => void }) {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const act = async (fn: () => Promise<GroupCode | null>) => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await fn());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Drawer open title={code.name} onClose={onClose} size="large" data-testid="group-code-drawer">
      <Space orientation="vertical" size="large" style={{ width: '100%' }}>
        <ErrorAlert error={error} />
        <Space wrap align="start" size="large">
          <QrImage url={code.qrCode} testId="group-qr-image" />
          <Space orientation="vertical">
            <StatusTag status={code.status} />
            <Typography.Text type="secondary">{t('scrmMemberLimitN', { n: code.memberLimit })}</Typography.Text>
            {code.rotatedAt && <Typography.Text type="secondary">{t('scrmRotatedAt', { at: formatTime(code.rotatedAt, locale) })}</Typography.Text>}
            {code.syncError && <Typography.Text type="danger">{code.syncError}</Typography.Text>}
            {canChange(role) && (
              <Space wrap>
                <Button loading={busy} onClick={() => act(() => api.scrm.rotateGroupCode(code.id))} data-testid="gc-rotate">
                  {t('scrmRotate')}
                </Button>
                <Popconfirm title={t('scrmDeleteGroupCodeConfirm')} onConfirm={() => act(async () => (await api.scrm.deleteGroupCode(code.id), null))}>
                  <Button danger>{t('scrmDelete')}</Button>
                </Popconfirm>
              </Space>
            )}
          </Space>
        </Space>
        <Table
          size="small"
          rowKey="chatId"
          pagination={false}
          dataSource={code.groups}
          columns={[
            { title: t('colName'), dataIndex: 'name', render: (n: string | null, g) => n ?? g.chatId },
            { title: t('scrmPosition'), dataIndex: 'position', render: (p: string) => <StatusTag status={p === 'done' ? 'full' : p} /> },
            {
              title: t('scrmMembers'),
              dataIndex: 'memberCount',
              render: (n: number | null) =>
                n === null ? (
                  '—'
                ) : (
                  <Progress percent={Math.min(100, Math.round((n / code.memberLimit) * 100))} format={() => `${n}/${code.memberLimit}`} size="small" />
                ),
            },
            { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          ]}
        />
      </Space>
    </Drawer>
  );
}

/** The group live codes screen. */
export function GroupCodesPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const pages = useCursorPages((cursor) => api.scrm.groupCodes(cursor), 'all');
  const [open, setOpen] = useState<GroupCode | null>(null);
  const [editing, setEditing] = useState<GroupCode | 'new' | null>(null);
  return (
    <Card
      title={t('scrmGroupCodesTitle')}
      extra={
        canChange(role) && (
          <Button type="primary" onClick={() => setEditing('new')} data-testid="new-group-code">
            {t('scrmNewGroupCode')}
          </Button>
        )
      }
    >
      <ErrorAlert error={pages.error} />
      <Table<GroupCode>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        locale={{ emptyText: t('scrmNoGroupCodes') }}
        columns={[
          {
            title: t('colName'),
            dataIndex: 'name',
            render: (n: string, c) => (
              <Typography.Link onClick={() => setOpen(c)} data-testid="group-code-link">
                {n}
              </Typography.Link>
            ),
          },
          { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          {
            title: t('scrmCurrentGroup'),
            key: 'current',
            render: (_, c) => {
              const g = c.groups.find((x) => x.position === 'current');
              return g ? `${g.name ?? g.chatId} (${g.memberCount ?? '?'}/${c.memberLimit})` : '—';
            },
          },
          { title: t('scrmGroupCount'), key: 'n', render: (_, c) => <Tag>{c.groups.length}</Tag> },
          { title: t('scrmCreated'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
          ...(canChange(role)
            ? [
                {
                  title: '',
                  key: 'edit',
                  render: (_: unknown, c: GroupCode) => (
                    <Button size="small" onClick={() => setEditing(c)}>
                      {t('edit')}
                    </Button>
                  ),
                },
              ]
            : []),
        ]}
      />
      <CursorPager pages={pages} />
      {open && (
        <GroupCodeDrawer
          code={open}
          onClose={() => setOpen(null)}
          onChanged={(c) => {
            setOpen(c);
            pages.reload({ quiet: true });
          }}
        />
      )}
      {editing && (
        <GroupCodeForm
          code={editing === 'new' ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) {
              message.success(t('saved'));
              pages.reload({ quiet: true });
              setOpen(saved);
            }
          }}
        />
      )}
    </Card>
  );
}
