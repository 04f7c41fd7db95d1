/**
 * Handover (在职继承 / 离职继承, /v1/wecom/handovers): the per-customer rows with WeCom's result,
 * a new request (all of a member's customers, or some), and the customers of members who left that
 * wait for a new owner (GET /v1/wecom/unassigned, read from WeCom page by page).
 */
import { Alert, App as AntApp, Button, Card, Form, Input, Modal, Radio, Select, Space, Table, Tabs, Typography } from 'antd';
import { useMemo, useState } from 'react';
import type { Handover, HandoverBody, HandoverResult, Unassigned } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { canChange, useSession } from '../../session.ts';
import { allPages, StaffSelect, StatusTag, useLoad, useStaffList } from './shared.tsx';

/** The request form. */
function HandoverForm({ onDone }: { onDone: (r: HandoverResult | null) => void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const staff = useStaffList();
  const [form] = Form.useForm<HandoverBody>();
  const kind = Form.useWatch('kind', form);
  const from = Form.useWatch('fromUserid', form);
  const customers = useLoad(() => (from ? allPages((cursor) => api.scrm.staffCustomers(from, cursor), 10_000) : Promise.resolve([])), [api, from]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<HandoverResult | null>(null);
  const fromStaff = (staff.data ?? []).filter((s) => (kind === 'resigned' ? s.status === 'resigned' : s.status === 'active'));
  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      setResult(
        await api.scrm.requestHandover({
          ...v,
          externalUserids: v.externalUserids?.length ? v.externalUserids : undefined,
          transferMessage: kind === 'in_service' && v.transferMessage ? v.transferMessage : undefined,
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      width={680}
      title={t('scrmNewHandover')}
      onCancel={() => onDone(result)}
      footer={
        result ? (
          <Button onClick={() => onDone(result)}>{t('back')}</Button>
        ) : (
          <Space>
            <Button onClick={() => onDone(null)}>{t('cancel')}</Button>
            <Button type="primary" loading={busy} onClick={submit} data-testid="handover-submit">
              {t('scrmHandOver')}
            </Button>
          </Space>
        )
      }
    >
      {result ? (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="handover-result">
          <Alert type="info" showIcon title={t('scrmHandoverSent', { sent: result.handovers.length, refused: result.refused.length })} />
          {result.refused.map((r) => (
            <Typography.Text key={r.externalUserid} type="warning">{`${r.externalUserid}: ${r.reason}`}</Typography.Text>
          ))}
          {result.handovers
            .filter((h) => h.status === 'failed')
            .map((h) => (
              <Typography.Text key={h.id} type="danger">{`${h.externalUserid}: ${h.reason ?? h.errcode}`}</Typography.Text>
            ))}
        </Space>
      ) : (
        <Form form={form} layout="vertical" initialValues={{ kind: 'in_service' }}>
          <Form.Item name="kind" label={t('scrmHandoverKind')}>
            <Radio.Group
              options={[
                { value: 'in_service', label: t('scrmKind_in_service') },
                { value: 'resigned', label: t('scrmKind_resigned') },
              ]}
            />
          </Form.Item>
          <Form.Item name="fromUserid" label={t('scrmFromStaff')} rules={[{ required: true }]}>
            <StaffSelect staff={fromStaff} includeResigned />
          </Form.Item>
          <Form.Item name="toUserid" label={t('scrmToStaff')} rules={[{ required: true }]}>
            <StaffSelect staff={staff.data} />
          </Form.Item>
          <Form.Item name="externalUserids" label={t('scrmHandoverCustomers')} extra={t('scrmHandoverCustomersHelp')}>
            <Select
              mode="multiple"
              allowClear
              loading={customers.loading}
              showSearch={{ optionFilterProp: 'label' }}
              options={(customers.data ?? []).map((c) => ({
                value: c.externalUserid,
                label: `${c.name || c.externalUserid}${c.remark ? ` (${c.remark})` : ''}`,
              }))}
            />
          </Form.Item>
          {kind === 'in_service' && (
            <Form.Item name="transferMessage" label={t('scrmTransferMessage')} extra={t('scrmTransferMessageHelp')}>
              <Input.TextArea rows={2} maxLength={200} />
            </Form.Item>
          )}
          <ErrorAlert error={error} />
        </Form>
      )}
    </Modal>
  );
}

/** The handover screen. */
export function HandoversPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const staff = useStaffList();
  const names = useMemo(() => new Map((staff.data ?? []).map((s) => [s.userid, s.name])), [staff.data]);
  const name = (u: string) => names.get(u) ?? u;
  const [status, setStatus] = useState<'waiting' | 'succeeded' | 'failed' | undefined>();
  const rows = useCursorPages((cursor) => api.scrm.handovers({ status, limit: 50, cursor }), String(status));
  const [tab, setTab] = useState('rows');
  const unassigned = useCursorPages((cursor) => (tab === 'unassigned' ? api.scrm.unassigned(cursor) : Promise.resolve({ data: [], nextCursor: null })), tab);
  const [creating, setCreating] = useState(false);
  return (
    <Card
      title={t('scrmHandoversTitle')}
      extra={
        canChange(role) && (
          <Button type="primary" onClick={() => setCreating(true)} data-testid="new-handover">
            {t('scrmNewHandover')}
          </Button>
        )
      }
    >
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          {
            key: 'rows',
            label: t('scrmHandoverRows'),
            children: (
              <>
                <Select
                  allowClear
                  placeholder={t('colStatus')}
                  value={status}
                  onChange={setStatus}
                  style={{ width: 160, marginBottom: 12 }}
                  options={(['waiting', 'succeeded', 'failed'] as const).map((s) => ({ value: s, label: t(`scrmStatus_${s}`) }))}
                />
                <ErrorAlert error={rows.error} />
                <Table<Handover>
                  rowKey="id"
                  loading={rows.loading}
                  dataSource={rows.rows}
                  pagination={false}
                  scroll={{ x: true }}
                  locale={{ emptyText: t('scrmNoHandovers') }}
                  columns={[
                    { title: t('scrmCustomer'), dataIndex: 'externalUserid' },
                    {
                      title: t('scrmHandoverKind'),
                      dataIndex: 'kind',
                      render: (k: string) => t(k === 'resigned' ? 'scrmKind_resigned' : 'scrmKind_in_service'),
                    },
                    { title: t('scrmFromStaff'), dataIndex: 'fromUserid', render: name },
                    { title: t('scrmToStaff'), dataIndex: 'toUserid', render: name },
                    { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
                    { title: t('scrmReason'), dataIndex: 'reason', render: (r: string | null, h) => r ?? (h.errcode ? `errcode ${h.errcode}` : '—') },
                    { title: t('scrmRequested'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
                    { title: t('scrmTakeover'), dataIndex: 'takeoverAt', render: (v: string | null) => (v ? formatTime(v, locale) : '—') },
                  ]}
                />
                <CursorPager pages={rows} />
              </>
            ),
          },
          {
            key: 'unassigned',
            label: t('scrmUnassigned'),
            children: (
              <>
                <Typography.Paragraph type="secondary">{t('scrmUnassignedHelp')}</Typography.Paragraph>
                <ErrorAlert error={unassigned.error} />
                <Table<Unassigned>
                  rowKey={(u) => `${u.handoverUserid}|${u.externalUserid}`}
                  loading={unassigned.loading}
                  dataSource={unassigned.rows}
                  pagination={false}
                  scroll={{ x: true }}
                  locale={{ emptyText: t('scrmNoUnassigned') }}
                  columns={[
                    { title: t('scrmCustomer'), dataIndex: 'externalUserid' },
                    { title: t('scrmFromStaff'), dataIndex: 'handoverUserid', render: name },
                    { title: t('scrmLeftAt'), dataIndex: 'dimissionAt', render: (v: string | null) => (v ? formatTime(v, locale) : '—') },
                  ]}
                />
                <CursorPager pages={unassigned} />
              </>
            ),
          },
        ]}
      />
      {creating && (
        <HandoverForm
          onDone={(r) => {
            setCreating(false);
            if (r) {
              message.success(t('saved'));
              rows.reload();
            }
          }}
        />
      )}
    </Card>
  );
}
