/** WeCom staff (GET /v1/wecom/staff): who may have customers, how many they follow now and the groups they own. */
import { Card, Input, Select, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import type { ScrmStaff } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.ts';
import { StatusTag } from './shared.tsx';

/** The staff list. */
export function StaffPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const [name, setName] = useState('');
  const [status, setStatus] = useState<'active' | 'resigned' | undefined>(undefined);
  const pages = useCursorPages((cursor) => api.scrm.staff({ limit: 50, cursor, name: name || undefined, status }), `${name}|${status ?? ''}`);
  return (
    <Card title={t('scrmStaffTitle')}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search allowClear placeholder={t('scrmStaffSearch')} onSearch={setName} style={{ width: 240 }} data-testid="staff-search" />
        <Select
          allowClear
          placeholder={t('colStatus')}
          value={status}
          onChange={setStatus}
          style={{ width: 140 }}
          options={[
            { value: 'active', label: t('scrmStatus_active') },
            { value: 'resigned', label: t('scrmStatus_resigned') },
          ]}
        />
      </Space>
      <ErrorAlert error={pages.error} />
      <div data-testid="staff-table">
        <Table<ScrmStaff>
          rowKey="userid"
          size="middle"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('scrmNoStaff') }}
          columns={[
            {
              title: t('colName'),
              dataIndex: 'name',
              render: (n: string, s) => (
                <Space orientation="vertical" size={0}>
                  <span>{n}</span>
                  <Tag>{s.userid}</Tag>
                </Space>
              ),
            },
            { title: t('scrmDepartments'), dataIndex: 'departments', render: (d: number[]) => d.join(', ') },
            { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
            { title: t('scrmCanFollow'), dataIndex: 'canFollow', render: (b: boolean) => (b ? '✓' : '—') },
            {
              title: t('scrmCustomers'),
              dataIndex: 'customers',
              render: (n: number, s) => (
                <Link to={`scrm/contacts?owner=${encodeURIComponent(s.userid)}`} testId="staff-customers">
                  {n.toLocaleString(locale)}
                </Link>
              ),
            },
            { title: t('scrmGroupsOwned'), dataIndex: 'groups' },
            { title: t('scrmSynced'), dataIndex: 'updatedAt', render: (v: string) => formatTime(v, locale) },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="staff-pager" />
    </Card>
  );
}
