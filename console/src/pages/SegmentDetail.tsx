/**
 * One segment: summary, rule and versions (GET /v1/segments/:id), members (GET
 * /v1/segments/:id/members, cursor pages, each with the profile's name and key identifiers; a row
 * expands to the profile), CSV export, a static
 * segment's member upload, recompute and archive.
 */
import { Alert, App as AntApp, Button, Card, Collapse, Descriptions, Empty, Input, Popconfirm, Space, Spin, Table, Tag, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import type { Member, Profile, SegmentDetail } from '../api.ts';
import { CursorPager, ErrorAlert, JsonBlock, useCursorPages } from '../components.tsx';
import { formatCount, formatMoney, formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { Link, navigate } from '../router.tsx';
import { keyIdentifiers } from './customers/identifiers.ts';
import { useSession } from '../session.ts';
import { StaticUpload } from './StaticUpload.tsx';

/** The profile behind a member row, loaded when the row is expanded. */
function MemberProfile({ id }: { id: string }) {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    api.profile(id).then(
      (p) => live && setProfile(p),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, id]);
  if (error) return <ErrorAlert error={error} />;
  if (!profile) return <Spin size="small" />;
  return (
    <Descriptions
      size="small"
      column={1}
      bordered
      data-testid="member-profile"
      items={[
        { key: 'traits', label: t('colTraits'), children: <JsonBlock value={profile.traits} /> },
        {
          key: 'identifiers',
          label: t('identifiers'),
          children: profile.identifiers.map((i) => (
            <Tag key={`${i.type}:${i.value}`}>
              {i.type}: {i.value ?? '—'}
            </Tag>
          )),
        },
        {
          key: 'tags',
          label: t('tags'),
          children: profile.tags.length
            ? profile.tags.map((g) => <Tag key={g.id ?? `${g.group}/${g.name}`}>{g.group && g.group !== 'default' ? `${g.group}/${g.name}` : g.name}</Tag>)
            : t('none'),
        },
        {
          key: 'purchases',
          label: `${t('orders')} / ${t('spent')}`,
          children: `${profile.aggregates.orderCount} / ${formatMoney(profile.aggregates.totalSpentFen, workspace.settings.currency ?? 'CNY', locale)}`,
        },
        { key: 'lastSeen', label: t('colLastSeen'), children: formatTime(profile.lastSeenAt, locale) },
      ]}
    />
  );
}

/** The segment detail screen. */
export function SegmentDetailPage({ id }: { id: string }) {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [segment, setSegment] = useState<SegmentDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const [busy, setBusy] = useState<'recompute' | 'archive' | 'export' | null>(null);
  const [traits, setTraits] = useState('');

  useEffect(() => {
    let live = true;
    api.getSegment(id).then(
      (s) => {
        if (!live) return;
        setSegment(s);
        setError(null);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, id, tick]);

  // Follow a computation in progress: the size settles when it ends (not while it waits to retry after a failure).
  const computing = !!segment?.computing && !segment.recompute?.retryAt;
  useEffect(() => {
    if (!computing) return;
    const timer = window.setTimeout(() => setTick((n) => n + 1), 2000);
    return () => window.clearTimeout(timer);
  }, [computing, segment]);

  const [limit] = useState(20);
  const members = useCursorPages<Member>((cursor) => api.members(id, { limit, cursor }), `${id}:${limit}`);
  // The members change when a computation ends (or the version changes): show the new list.
  const settledKey = segment ? `${segment.version}:${segment.computing}:${segment.memberCount}:${segment.status}` : '';
  const { reload } = members;
  const lastSettled = useRef('');
  useEffect(() => {
    if (lastSettled.current && settledKey !== lastSettled.current) reload({ quiet: true });
    lastSettled.current = settledKey;
  }, [settledKey, reload]);

  const act = async (what: 'recompute' | 'archive', fn: () => Promise<unknown>, done: string) => {
    setBusy(what);
    setActionError(null);
    try {
      await fn();
      message.success(done);
      setTick((n) => n + 1);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(null);
    }
  };

  const exportCsv = async () => {
    if (!segment) return;
    setBusy('export');
    setActionError(null);
    try {
      const list = traits
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const blob = await api.membersCsv(segment.id, list);
      const file = `segment-${segment.id}.csv`;
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = file;
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      message.success(t('exportDone', { file }));
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(null);
    }
  };

  if (error) return <ErrorAlert error={error} />;
  if (!segment) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;

  const active = segment.status === 'active';
  const summary = segment.summary?.[locale] ?? segment.summary?.en;
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Card
        title={
          <Space>
            <span data-testid="segment-title">{segment.name}</span>
            <Tag color={segment.kind === 'rule' ? 'blue' : 'purple'}>{t(segment.kind === 'rule' ? 'kind_rule' : 'kind_static')}</Tag>
            {!active && <Tag>{t('status_archived')}</Tag>}
          </Space>
        }
        extra={
          <Space wrap>
            <Button onClick={() => navigate('segments')}>{t('back')}</Button>
            <Button onClick={() => navigate(`customers?segment=${encodeURIComponent(segment.id)}`)} data-testid="segment-customers">
              {t('segmentCustomers')}
            </Button>
            {active && (
              <Button onClick={() => navigate(`segments/${encodeURIComponent(segment.id)}/edit`)} data-testid="edit-segment">
                {t('edit')}
              </Button>
            )}
            {active && segment.kind === 'rule' && (
              <Button
                loading={busy === 'recompute'}
                onClick={() => act('recompute', () => api.recompute(segment.id), t('recomputeStarted'))}
                data-testid="recompute"
              >
                {t('recompute')}
              </Button>
            )}
            {active && (
              <Popconfirm
                title={t('archiveConfirm')}
                okText={t('archive')}
                cancelText={t('cancel')}
                okButtonProps={{ danger: true }}
                onConfirm={() => act('archive', () => api.archiveSegment(segment.id), t('archived'))}
              >
                <Button danger loading={busy === 'archive'} data-testid="archive">
                  {t('archive')}
                </Button>
              </Popconfirm>
            )}
          </Space>
        }
      >
        {actionError !== null && (
          <div style={{ marginBottom: 16 }}>
            <ErrorAlert error={actionError} testId="action-error" />
          </div>
        )}
        {active && segment.recompute && segment.recompute.state !== 'ok' && (
          <Alert
            style={{ marginBottom: 16 }}
            type={segment.recompute.state === 'failed' ? 'error' : 'warning'}
            showIcon
            data-testid="recompute-failure"
            title={t(segment.recompute.state === 'failed' ? 'recomputeFailed' : 'recomputeRetrying', {
              failures: segment.recompute.failures,
              retryAt: formatTime(segment.recompute.retryAt, locale),
              reason: segment.recompute.lastError ?? '',
            })}
          />
        )}
        <Descriptions
          bordered
          size="small"
          column={{ xs: 1, md: 2, xl: 3 }}
          title={t('detailSummary')}
          items={[
            {
              key: 'size',
              label: t('size'),
              children: (
                <Space>
                  <Typography.Text strong data-testid="segment-size">
                    {formatCount(segment.memberCount, locale)}
                  </Typography.Text>
                  {segment.computing && <Tag color="processing">{t('computing')}</Tag>}
                </Space>
              ),
            },
            { key: 'version', label: t('colVersion'), children: <span data-testid="segment-version">{segment.version}</span> },
            { key: 'status', label: t('colStatus'), children: t(active ? 'status_active' : 'status_archived') },
            { key: 'evaluated', label: t('evaluatedAt'), children: formatTime(segment.evaluatedAt, locale) },
            { key: 'timeDependent', label: t('timeDependent'), children: segment.timeDependent ? t('yes') : t('no') },
            { key: 'updated', label: t('colUpdated'), children: formatTime(segment.updatedAt, locale) },
            { key: 'created', label: t('createdAt'), children: formatTime(segment.createdAt, locale) },
            {
              key: 'id',
              label: 'ID',
              span: 'filled',
              children: (
                <Typography.Text copyable code>
                  {segment.id}
                </Typography.Text>
              ),
            },
            ...(segment.description ? [{ key: 'description', label: t('description'), span: 3, children: segment.description }] : []),
            ...(summary ? [{ key: 'summary', label: t('ruleSummary'), span: 3, children: <span data-testid="rule-summary">{summary}</span> }] : []),
          ]}
        />

        {segment.rule && (
          <>
            <Typography.Title level={5} style={{ marginTop: 24 }}>
              {t('currentRule', { version: segment.version })}
            </Typography.Title>
            <JsonBlock value={segment.rule} testId="segment-rule" />
          </>
        )}
        {segment.versions.length > 1 && (
          <Collapse
            style={{ marginTop: 16 }}
            items={[
              {
                key: 'versions',
                label: `${t('versions')} (${segment.versions.length})`,
                children: (
                  <Space orientation="vertical" style={{ width: '100%' }}>
                    {segment.versions.map((v) => (
                      <div key={v.version}>
                        <Typography.Text strong>{t('versionN', { n: v.version })}</Typography.Text>{' '}
                        <Typography.Text type="secondary">{formatTime(v.createdAt, locale)}</Typography.Text>
                        <JsonBlock value={v.rule} />
                      </div>
                    ))}
                  </Space>
                ),
              },
            ]}
          />
        )}
      </Card>

      {active && segment.kind === 'static' && (
        <Card title={t('uploadTitle')}>
          <StaticUpload
            segmentId={segment.id}
            onUploaded={() => {
              // The size comes with the segment; the list is reloaded even when the size is unchanged (replace).
              setTick((n) => n + 1);
              reload({ quiet: true });
            }}
          />
        </Card>
      )}

      <Card
        title={t('members')}
        extra={
          // A CSV of members is a bulk export of personal data: the owner's alone (#19; the API refuses others).
          role !== 'owner' ? (
            <Typography.Text type="secondary" data-testid="export-owner-only">
              {t('exportOwnerOnly')}
            </Typography.Text>
          ) : (
            <Space.Compact>
              <Input
                placeholder={t('exportTraits')}
                value={traits}
                onChange={(e) => setTraits(e.target.value)}
                style={{ width: 'min(280px, 40vw)' }}
                data-testid="export-traits"
              />
              <Button onClick={exportCsv} loading={busy === 'export'} data-testid="export-csv">
                {t('exportCsv')}
              </Button>
            </Space.Compact>
          )
        }
      >
        <Typography.Paragraph type="secondary">{t('memberTraitsHint')}</Typography.Paragraph>
        <ErrorAlert error={members.error} />
        <div data-testid="members-table">
          <Table<Member>
            rowKey="profileId"
            size="small"
            loading={members.loading}
            dataSource={members.rows}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: <Empty description={t('noMembers')} /> }}
            expandable={{ expandedRowRender: (m) => <MemberProfile id={m.profileId} /> }}
            columns={[
              {
                title: t('colMemberName'),
                key: 'name',
                render: (_: unknown, m) => (
                  <Space orientation="vertical" size={0}>
                    <Link to={`customers/${encodeURIComponent(m.profileId)}`} testId="member-name">
                      {m.name ?? t('none')}
                    </Link>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }} code>
                      {m.profileId}
                    </Typography.Text>
                  </Space>
                ),
              },
              {
                title: t('colMemberIds'),
                key: 'ids',
                render: (_: unknown, m) => (
                  <Space size={[4, 4]} wrap data-testid="member-ids">
                    {keyIdentifiers(m, 4).map((i) => (
                      <Tag key={`${i.type}:${i.value}`}>
                        {i.type}: {i.value}
                      </Tag>
                    ))}
                  </Space>
                ),
              },
              { title: t('colMemberVersion'), dataIndex: 'version', width: 160, align: 'right' },
              { title: t('colEntered'), dataIndex: 'enteredAt', width: 200, render: (v: string) => formatTime(v, locale) },
            ]}
          />
        </div>
        <CursorPager pages={members} testId="members-pager" />
      </Card>
    </Space>
  );
}
