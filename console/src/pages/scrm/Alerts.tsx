/**
 * Churn alerts (GET /v1/wecom/alerts): a customer deleted a staff member, or a member deleted the
 * customer; whether the member was told through a WeCom app message; acknowledging (POST …/ack).
 * Sensitive-word alerts are on the archive screen.
 */
import { Button, Card, Select, Space, Table, Typography } from 'antd';
import { useMemo, useState } from 'react';
import type { ScrmAlert } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { StatusTag, useStaffList } from './shared.tsx';

/** The churn alerts screen. */
export function AlertsPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const staff = useStaffList();
  const names = useMemo(() => new Map((staff.data ?? []).map((s) => [s.userid, s.name])), [staff.data]);
  const [kind, setKind] = useState<'customer_deleted_staff' | 'staff_deleted_customer'>('customer_deleted_staff');
  const [status, setStatus] = useState<'open' | 'acked' | undefined>('open');
  const [error, setError] = useState<unknown>(null);
  const pages = useCursorPages((cursor) => api.scrm.alerts({ kind, status, limit: 50, cursor }), `${kind}|${status}`);
  const ack = async (a: ScrmAlert) => {
    setError(null);
    try {
      await api.scrm.ackAlert(a.id);
      pages.reload({ quiet: true });
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card title={t('scrmAlertsTitle')}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select
          value={kind}
          onChange={setKind}
          style={{ width: 240 }}
          options={[
            { value: 'customer_deleted_staff', label: t('scrmAlert_customer_deleted_staff') },
            { value: 'staff_deleted_customer', label: t('scrmAlert_staff_deleted_customer') },
          ]}
          data-testid="alerts-kind"
        />
        <Select
          allowClear
          value={status}
          onChange={setStatus}
          placeholder={t('colStatus')}
          style={{ width: 140 }}
          options={[
            { value: 'open', label: t('scrmStatus_open') },
            { value: 'acked', label: t('scrmStatus_acked') },
          ]}
        />
      </Space>
      <ErrorAlert error={error ?? pages.error} />
      <div data-testid="alerts-table">
        <Table<ScrmAlert>
          rowKey="id"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('scrmNoAlerts') }}
          columns={[
            { title: t('scrmAlertAt'), dataIndex: 'at', render: (v: string) => formatTime(v, locale) },
            {
              title: t('scrmCustomer'),
              key: 'customer',
              render: (_, a) =>
                a.profileId ? (
                  <Link to={`customers/${encodeURIComponent(a.profileId)}`}>{a.customerName || a.externalUserid}</Link>
                ) : (
                  (a.customerName ?? a.externalUserid ?? '—')
                ),
            },
            { title: t('scrmStaffCol'), dataIndex: 'userid', render: (u: string | null) => (u ? (names.get(u) ?? u) : '—') },
            {
              title: t('scrmNotified'),
              dataIndex: 'notifyStatus',
              render: (v: string | null) => <Typography.Text type={v === 'sent' ? undefined : 'secondary'}>{v ?? '—'}</Typography.Text>,
            },
            { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
            {
              title: '',
              key: 'ack',
              render: (_, a) =>
                canChange(role) &&
                a.status === 'open' && (
                  <Button size="small" onClick={() => ack(a)} data-testid="alert-ack">
                    {t('scrmAck')}
                  </Button>
                ),
            },
          ]}
        />
      </div>
      <CursorPager pages={pages} />
    </Card>
  );
}
