/**
 * One channel live code: its QR image, settings and today's adds per staff member (GET
 * /v1/wecom/live-codes/:id), growth by day as a chart and per staff member (…/stats, ECharts loaded
 * on first use), and the customers who came through it with their welcome message's fate (…/adds).
 */
import { App as AntApp, Button, Card, Col, Descriptions, Popconfirm, Row, Space, Spin, Statistic, Table, Tag, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useMemo, useState } from 'react';
import type { LiveCodeAdd, LiveCodeStats } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime, lastDaysIn } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { EChart } from '../../insight.tsx';
import { Link, navigate } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { channelKey } from './LiveCodes.tsx';
import { DateRange, QrImage, StatusTag, useLoad, useStaffList } from './shared.tsx';

/** Adds and deletions as bars and net growth as a line, by local day. */
function statsChart(s: LiveCodeStats, t: ReturnType<typeof useI18n>['t']): EChartsOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: [t('scrmAdds'), t('scrmDeletions'), t('scrmNet')] },
    grid: { left: 40, right: 16, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: s.byDay.map((d) => d.date.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('scrmAdds'), type: 'bar', data: s.byDay.map((d) => d.adds), itemStyle: { color: '#52c41a' } },
      { name: t('scrmDeletions'), type: 'bar', data: s.byDay.map((d) => -d.deletions), itemStyle: { color: '#ff4d4f' } },
      { name: t('scrmNet'), type: 'line', data: s.byDay.map((d) => d.net), itemStyle: { color: '#1677ff' } },
    ],
  };
}

/** The statistics card: range, totals, chart, per staff member. */
function StatsCard({ id, names }: { id: string; names: Map<string, string> }) {
  const { api, workspace } = useSession();
  const { t } = useI18n();
  const [range, setRange] = useState(lastDaysIn(30, workspace.timeZone));
  const [applied, setApplied] = useState(range);
  const stats = useLoad(() => api.scrm.liveCodeStats(id, applied), [api, id, applied.from, applied.to]);
  const option = useMemo(() => (stats.data ? statsChart(stats.data, t) : undefined), [stats.data, t]);
  const s = stats.data;
  return (
    <Card
      title={t('scrmStatsTitle')}
      extra={
        <Button size="small" onClick={stats.reload} data-testid="stats-refresh">
          {t('refresh')}
        </Button>
      }
      data-testid="live-code-stats"
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <DateRange value={range} onChange={setRange} testId="stats-range" />
        <Button onClick={() => setApplied(range)} data-testid="stats-apply">
          {t('insApply')}
        </Button>
      </Space>
      <ErrorAlert error={stats.error} />
      {s && (
        <>
          <Row gutter={[16, 16]}>
            <Col xs={12} md={6}>
              <Statistic title={t('scrmAdds')} value={s.totals.adds} data-testid="stat-adds" />
            </Col>
            <Col xs={12} md={6}>
              <Statistic title={t('scrmDeletions')} value={s.totals.deletions} data-testid="stat-deletions" />
            </Col>
            <Col xs={12} md={6}>
              <Statistic title={t('scrmNet')} value={s.totals.net} data-testid="stat-net" />
            </Col>
            <Col xs={12} md={6}>
              <Statistic title={t('scrmWelcomeSent')} value={s.totals.welcomeSent} data-testid="stat-welcome" />
            </Col>
          </Row>
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
            {t('scrmDaysIn', { tz: s.timeZone, from: s.from, to: s.to })}
          </Typography.Paragraph>
          {option && <EChart option={option} testId="live-code-chart" />}
          <Table
            size="small"
            rowKey="userid"
            pagination={false}
            dataSource={s.byStaff}
            locale={{ emptyText: t('scrmNoAddsYet') }}
            columns={[
              { title: t('scrmStaffCol'), dataIndex: 'userid', render: (u: string) => names.get(u) ?? u },
              { title: t('scrmAdds'), dataIndex: 'adds' },
              { title: t('scrmDeletions'), dataIndex: 'deletions' },
              { title: t('scrmNet'), dataIndex: 'net' },
            ]}
            data-testid="stats-by-staff"
          />
        </>
      )}
    </Card>
  );
}

/** The live code screen. */
export function LiveCodeDetailPage({ id }: { id: string }) {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const code = useLoad(() => api.scrm.liveCode(id), [api, id]);
  const staff = useStaffList();
  const names = useMemo(() => new Map((staff.data ?? []).map((s) => [s.userid, s.name])), [staff.data]);
  const adds = useCursorPages((cursor) => api.scrm.liveCodeAdds(id, cursor), id);
  const [error, setError] = useState<unknown>(null);
  const c = code.data;
  const remove = async () => {
    try {
      await api.scrm.deleteLiveCode(id);
      message.success(t('scrmDeleted'));
      navigate('scrm/live-codes');
    } catch (err) {
      setError(err);
    }
  };
  if (code.loading && !c) return <Spin style={{ display: 'block', margin: 48 }} />;
  if (!c) return <ErrorAlert error={code.error} />;
  const name = (u: string) => names.get(u) ?? u;
  const welcome = (c.welcome ?? null) as { text?: string; templateId?: string } | null;
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Card
        title={
          <Space wrap>
            <span data-testid="live-code-name">{c.name}</span>
            <StatusTag status={c.status} testId="live-code-status" />
            <Tag>{t(channelKey(c.channel))}</Tag>
          </Space>
        }
      >
        <Space wrap style={{ marginBottom: 16 }}>
          <Button onClick={() => navigate('scrm/live-codes')}>{t('back')}</Button>
          {canChange(role) && (
            <>
              <Button onClick={() => navigate(`scrm/live-codes/${encodeURIComponent(id)}/edit`)} data-testid="lc-edit">
                {t('edit')}
              </Button>
              <Popconfirm title={t('scrmDeleteLiveCodeConfirm')} onConfirm={remove}>
                <Button danger>{t('scrmDelete')}</Button>
              </Popconfirm>
            </>
          )}
        </Space>
        <ErrorAlert error={error ?? code.error} />
        <Row gutter={[24, 16]}>
          <Col xs={24} md={8}>
            <QrImage url={c.qrCode} />
          </Col>
          <Col xs={24} md={16}>
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('scrmState')}>
                <Typography.Text code copyable data-testid="live-code-state">
                  {c.state}
                </Typography.Text>
              </Descriptions.Item>
              <Descriptions.Item label={t('scrmLiveCodeStaff')}>{c.staff.map(name).join(', ')}</Descriptions.Item>
              <Descriptions.Item label={t('scrmActiveUsers')}>{c.activeUsers.map(name).join(', ') || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('scrmStrategy')}>
                {t(c.strategy === 'round_robin' ? 'scrmStrategy_round_robin' : 'scrmStrategy_least_load')}
                {c.dailyCap !== null && ` · ${t('scrmCapN', { n: c.dailyCap })}`}
                {c.overflowUserid && ` · ${t('scrmOverflow')}: ${name(c.overflowUserid)}`}
              </Descriptions.Item>
              <Descriptions.Item label={t('scrmWelcome')}>
                {welcome?.templateId ? `${t('scrmWelcomeTemplate')}: ${welcome.templateId}` : (welcome?.text ?? '—')}
              </Descriptions.Item>
              <Descriptions.Item label={t('scrmAutoTags')}>
                {(c.tags ?? []).map((x, i) => (
                  <Tag key={i}>{x.group ? `${x.group}/${x.name}` : (x.name ?? x.id)}</Tag>
                ))}
                {(c.corpTagIds ?? []).map((x) => (
                  <Tag key={x} color="blue">
                    {x}
                  </Tag>
                ))}
              </Descriptions.Item>
              <Descriptions.Item label={t('scrmExpiresAt')}>{c.expiresAt ? formatTime(c.expiresAt, locale) : t('scrmNever')}</Descriptions.Item>
              {c.syncError && (
                <Descriptions.Item label={t('scrmSyncError')}>
                  <Typography.Text type="danger">{c.syncError}</Typography.Text>
                </Descriptions.Item>
              )}
            </Descriptions>
            {c.today && (
              <div style={{ marginTop: 12 }} data-testid="live-code-today">
                <Typography.Text strong>{t('scrmTodayAdds', { date: c.today.date })}</Typography.Text>{' '}
                {c.today.staff.map((s) => (
                  <Tag key={s.userid} color={s.atCap ? 'red' : undefined}>
                    {`${name(s.userid)}: ${s.adds}${s.atCap ? ` (${t('scrmAtCap')})` : ''}`}
                  </Tag>
                ))}
              </div>
            )}
          </Col>
        </Row>
      </Card>
      <StatsCard id={id} names={names} />
      <Card title={t('scrmAddsTitle')}>
        <ErrorAlert error={adds.error} />
        <div data-testid="live-code-adds">
          <Table<LiveCodeAdd>
            rowKey={(a) => `${a.userid}|${a.externalUserid}|${a.addedAt}`}
            loading={adds.loading}
            dataSource={adds.rows}
            pagination={false}
            scroll={{ x: true }}
            locale={{ emptyText: t('scrmNoAddsYet') }}
            columns={[
              {
                title: t('scrmCustomer'),
                dataIndex: 'externalUserid',
                render: (e: string, a) => <Link to={`customers/${encodeURIComponent(a.profileId)}`}>{e}</Link>,
              },
              { title: t('scrmStaffCol'), dataIndex: 'userid', render: name },
              { title: t('scrmAddedAt'), dataIndex: 'addedAt', render: (v: string) => formatTime(v, locale) },
              {
                title: t('scrmWelcome'),
                key: 'welcome',
                render: (_, a) => (
                  <Space size={4}>
                    <StatusTag status={a.welcome.status} />
                    {a.welcome.reason && <Typography.Text type="secondary">{a.welcome.reason}</Typography.Text>}
                  </Space>
                ),
              },
              { title: t('scrmTagsCol'), key: 'tags', render: (_, a) => <StatusTag status={a.tags.status} /> },
              {
                title: t('scrmDeletedAt'),
                dataIndex: 'deletedAt',
                render: (v: string | null, a) =>
                  v ? `${formatTime(v, locale)} · ${t(a.deletedBy === 'staff' ? 'scrmDeletedBy_staff' : 'scrmDeletedBy_customer')}` : '—',
              },
            ]}
          />
        </div>
        <CursorPager pages={adds} testId="adds-pager" />
      </Card>
    </Space>
  );
}
