/**
 * Customer groups (客户群, GET /v1/wecom/groups): the list with owner, size, status and Siyu's group
 * tags, joins and quits of every group by day; one group with its members, its tags (operators edit
 * them) and its own growth (GET /v1/wecom/groups/:chatId, …/stats, PUT …/tags).
 */
import { App as AntApp, Button, Card, Descriptions, Input, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useEffect, useMemo, useState } from 'react';
import type { ScrmGroup, ScrmGroupDetail, ScrmGroupStats } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime, lastDaysIn } from '../../format.ts';
import { dictionaries, type MessageKey, useI18n } from '../../i18n.ts';
import { EChart } from '../../insight.tsx';
import { Link, navigate } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { StaffSelect, StatusTag, useLoad, useStaffList } from './shared.tsx';

/** Joins and quits as bars, net growth as a line. */
function growthChart(s: ScrmGroupStats, t: ReturnType<typeof useI18n>['t']): EChartsOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: [t('scrmJoins'), t('scrmQuits'), t('scrmNet')] },
    grid: { left: 40, right: 16, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: s.byDay.map((d) => d.date.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('scrmJoins'), type: 'bar', data: s.byDay.map((d) => d.joins), itemStyle: { color: '#52c41a' } },
      { name: t('scrmQuits'), type: 'bar', data: s.byDay.map((d) => -d.quits), itemStyle: { color: '#ff4d4f' } },
      { name: t('scrmNet'), type: 'line', data: s.byDay.map((d) => d.net) },
    ],
  };
}

/** Growth of one group or of all of them over the last 30 days. */
function GrowthCard({ chatId }: { chatId?: string }) {
  const { api, workspace } = useSession();
  const { t } = useI18n();
  const stats = useLoad(() => api.scrm.groupStats(chatId, lastDaysIn(30, workspace.timeZone)), [api, chatId, workspace.timeZone]);
  const option = useMemo(() => (stats.data ? growthChart(stats.data, t) : undefined), [stats.data, t]);
  return (
    <Card size="small" title={t('scrmGroupGrowth')}>
      <ErrorAlert error={stats.error} />
      {stats.data && (
        <Typography.Paragraph type="secondary">
          {t('scrmGroupTotals', { joins: stats.data.totals.joins ?? 0, quits: stats.data.totals.quits ?? 0, net: stats.data.totals.net ?? 0 })}
        </Typography.Paragraph>
      )}
      {option && <EChart option={option} height={220} testId="groups-chart" />}
    </Card>
  );
}

/** The groups list. */
export function GroupsPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const staff = useStaffList();
  const names = useMemo(() => new Map((staff.data ?? []).map((s) => [s.userid, s.name])), [staff.data]);
  const [filter, setFilter] = useState<{ q?: string; owner?: string; status?: 'active' | 'dismissed'; tag?: string }>({ status: 'active' });
  const pages = useCursorPages((cursor) => api.scrm.groups({ ...filter, limit: 20, cursor }), JSON.stringify(filter));
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Card title={t('scrmGroupsTitle')}>
        <Space wrap style={{ marginBottom: 12 }}>
          <Input.Search
            allowClear
            placeholder={t('scrmGroupSearch')}
            onSearch={(q) => setFilter({ ...filter, q: q || undefined })}
            style={{ width: 220 }}
            data-testid="groups-search"
          />
          <StaffSelect
            staff={staff.data}
            includeResigned
            allowClear
            value={filter.owner}
            onChange={(v) => setFilter({ ...filter, owner: (v as string) || undefined })}
            placeholder={t('scrmOwner')}
          />
          <Input.Search allowClear placeholder={t('scrmGroupTag')} onSearch={(tag) => setFilter({ ...filter, tag: tag || undefined })} style={{ width: 160 }} />
          <Select
            allowClear
            value={filter.status}
            onChange={(status) => setFilter({ ...filter, status })}
            placeholder={t('colStatus')}
            style={{ width: 140 }}
            options={[
              { value: 'active', label: t('scrmStatus_active') },
              { value: 'dismissed', label: t('scrmStatus_dismissed') },
            ]}
          />
        </Space>
        <ErrorAlert error={pages.error} />
        <div data-testid="groups-table">
          <Table<ScrmGroup>
            rowKey="chatId"
            loading={pages.loading}
            dataSource={pages.rows}
            pagination={false}
            scroll={{ x: true }}
            locale={{ emptyText: t('scrmNoGroups') }}
            columns={[
              {
                title: t('colName'),
                dataIndex: 'name',
                render: (n: string, g) => (
                  <Link to={`scrm/groups/${encodeURIComponent(g.chatId)}`} testId="group-link">
                    {n || g.chatId}
                  </Link>
                ),
              },
              { title: t('scrmOwner'), dataIndex: 'owner', render: (u: string) => names.get(u) ?? u },
              { title: t('scrmMembers'), dataIndex: 'memberCount' },
              { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
              { title: t('scrmGroupTags'), dataIndex: 'tags', render: (tags: string[]) => tags.map((x) => <Tag key={x}>{x}</Tag>) },
              { title: t('scrmCreated'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
            ]}
          />
        </div>
        <CursorPager pages={pages} testId="groups-pager" />
      </Card>
      <GrowthCard />
    </Space>
  );
}

/** One group. */
export function GroupDetailPage({ chatId }: { chatId: string }) {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const group = useLoad(() => api.scrm.group(chatId), [api, chatId]);
  const staff = useStaffList();
  const ownerName = staff.data?.find((s) => s.userid === group.data?.owner)?.name;
  const [tags, setTags] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => setTags(group.data?.tags ?? []), [group.data]);
  const g = group.data;
  // invited, link, qr_code (joins) and left, removed (quits), as the API names them.
  const sceneText = (v: string | null) => {
    const key = `scrmScene_${v}`;
    return v === null ? '—' : key in dictionaries[locale] ? t(key as MessageKey) : v;
  };
  if (group.loading && !g) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (!g) return <ErrorAlert error={group.error} />;
  const saveTags = async () => {
    setError(null);
    try {
      await api.scrm.setGroupTags(chatId, tags);
      message.success(t('saved'));
      group.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Card title={<span data-testid="group-name">{g.name || g.chatId}</span>} extra={<Button onClick={() => navigate('scrm/groups')}>{t('back')}</Button>}>
        <ErrorAlert error={error} />
        <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label="chat_id">
            <Typography.Text code copyable>
              {g.chatId}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('scrmOwner')}>{ownerName ? `${ownerName} (${g.owner})` : g.owner}</Descriptions.Item>
          <Descriptions.Item label={t('colStatus')}>
            <StatusTag status={g.status} />
          </Descriptions.Item>
          <Descriptions.Item label={t('scrmMembers')}>{t('scrmMembersNow', { current: g.counts.current ?? 0, quit: g.counts.quit ?? 0 })}</Descriptions.Item>
          <Descriptions.Item label={t('scrmNotice')} span={2}>
            {g.notice || '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('scrmGroupTags')} span={2}>
            {canChange(role) ? (
              <Space.Compact style={{ width: '100%', maxWidth: 480 }}>
                <Select mode="tags" value={tags} onChange={setTags} open={false} style={{ width: '100%' }} data-testid="group-tags" />
                <Button onClick={saveTags} data-testid="group-tags-save">
                  {t('save')}
                </Button>
              </Space.Compact>
            ) : (
              g.tags.map((x) => <Tag key={x}>{x}</Tag>)
            )}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <GrowthCard chatId={chatId} />
      <Card title={t('scrmMembers')}>
        <Table<ScrmGroupDetail['members'][number]>
          rowKey="memberId"
          size="small"
          dataSource={g.members}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          scroll={{ x: true }}
          columns={[
            { title: t('colName'), dataIndex: 'name', render: (n: string | null, m) => n ?? m.memberId },
            { title: t('scrmMemberType'), dataIndex: 'type', render: (v: string) => (v === 'staff' ? t('scrmMemberStaff') : t('scrmMemberCustomer')) },
            { title: t('scrmJoinedAt'), dataIndex: 'joinTime', render: (v: string) => formatTime(v, locale) },
            { title: t('scrmJoinScene'), dataIndex: 'joinScene', render: (v: string | null) => sceneText(v) },
            {
              title: t('scrmQuitAt'),
              dataIndex: 'quitAt',
              render: (v: string | null, m) => (v ? `${formatTime(v, locale)}${m.quitScene ? ` · ${sceneText(m.quitScene)}` : ''}` : '—'),
            },
          ]}
        />
      </Card>
    </Space>
  );
}
