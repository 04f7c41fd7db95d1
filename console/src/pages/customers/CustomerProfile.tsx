/**
 * The profile 360 page: identifiers and merges, traits, tags (add/remove), RFM, lifecycle and
 * community role, WeCom owner staff and groups (ProfileWeCom.tsx), consent per purpose and channel
 * with its history, segments, messages received, and the timeline.
 */
import { App as AntApp, AutoComplete, Card, Col, Descriptions, Empty, Row, Space, Spin, Table, Tabs, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { CatalogueTag, MergePage, Profile, ProfileClv } from '../../api.ts';
import { ErrorAlert, JsonBlock } from '../../components.tsx';
import { formatMoney, formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { canChange, useSession } from '../../session.ts';
import { displayName } from './identifiers.ts';
import { ProfileTimeline } from './ProfileTimeline.tsx';
import { ProfileWeComCard } from './ProfileWeCom.tsx';

type Row = Record<string, unknown>;
const text = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** One profile. */
export function CustomerProfilePage({ id }: { id: string }) {
  const { api, workspace, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [side, setSide] = useState<{
    clv?: ProfileClv;
    merges?: MergePage;
    segments?: Row[];
    consent?: Row;
    history?: Row[];
    messages?: Row[];
    catalogue?: CatalogueTag[];
  }>({});
  const [newTag, setNewTag] = useState('');

  const load = useCallback(() => {
    api.profile(id).then(setProfile, setError);
    const settle = <T,>(p: Promise<T>) => p.catch(() => undefined);
    void Promise.all([
      settle(api.merges(id)),
      settle(api.profileSegments(id)),
      settle(api.consent(id)),
      settle(api.consentHistory(id)),
      settle(api.profileMessages(id)),
      settle(api.tags()),
      settle(api.profileClv(id)),
    ]).then(([merges, segments, consent, history, messages, tags, clv]) =>
      setSide({ merges, segments: segments?.data, consent, history: history?.data, messages: messages?.data, catalogue: tags?.data, clv }),
    );
  }, [api, id]);
  useEffect(load, [load]);

  if (error) return <ErrorAlert error={error} testId="profile-error" />;
  if (!profile) return <Spin style={{ display: 'block', margin: '80px auto' }} />;
  const currency = String(workspace.settings.currency ?? 'CNY');
  const m = profile.models;
  const edit = canChange(role);

  const addTag = async (value: string) => {
    const known = side.catalogue?.find((g) => `${g.group}/${g.name}` === value || g.id === value);
    const [group, ...rest] = value.includes('/') ? value.split('/') : ['default', value];
    try {
      const r = await api.addTag(profile.id, known?.id ? { id: known.id } : { group: group!.trim(), name: rest.join('/').trim() });
      setProfile({ ...profile, tags: (r.tags ?? []) as Profile['tags'] });
      setNewTag('');
      message.success(t('saved'));
    } catch (err) {
      setError(err);
    }
  };
  const removeTag = async (tagId: string) => {
    try {
      const r = await api.removeTag(profile.id, tagId);
      setProfile({ ...profile, tags: (r.tags ?? []) as Profile['tags'] });
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={<span data-testid="profile-name">{displayName(profile)}</span>}
        extra={<Typography.Text copyable={{ text: profile.id }}>{profile.id}</Typography.Text>}
      >
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 4 }}>
          <Descriptions.Item label={t('orders')}>{profile.aggregates.orderCount}</Descriptions.Item>
          <Descriptions.Item label={t('spent')}>{formatMoney(profile.aggregates.totalSpentFen, currency, locale)}</Descriptions.Item>
          <Descriptions.Item label={t('refunded')}>{formatMoney(profile.aggregates.refundedFen, currency, locale)}</Descriptions.Item>
          <Descriptions.Item label={t('colLastSeen')}>{formatTime(profile.lastSeenAt, locale)}</Descriptions.Item>
          <Descriptions.Item label={t('rfmCell')}>
            <span data-testid="profile-rfm">{m.rfm ? `${m.rfm.cell} (R${m.rfm.r} F${m.rfm.f} M${m.rfm.m})` : '—'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('lifecycleStage')}>
            {m.lifecycle ? `${m.lifecycle.stage} · ${formatTime(m.lifecycle.since, locale)}` : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('communityRole')}>{m.communityRole ? `${m.communityRole.role} (${m.communityRole.score})` : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('createdAt')}>{formatTime(profile.createdAt, locale)}</Descriptions.Item>
          <Descriptions.Item label={t('pAlive')}>
            <span data-testid="profile-p-alive">{side.clv?.prediction ? `${Math.round(side.clv.prediction.pAlive * 100)}%` : '—'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('predictedClv')}>
            {side.clv?.prediction ? formatMoney(side.clv.prediction.clvFen, currency, locale) : '—'}
          </Descriptions.Item>
        </Descriptions>
        <Space wrap style={{ marginTop: 8 }} data-testid="profile-tags">
          {profile.tags.map((g) => (
            <Tag key={g.id} closable={edit} onClose={(e) => (e.preventDefault(), void removeTag(g.id))}>
              {g.group}/{g.name}
            </Tag>
          ))}
          {edit && (
            <AutoComplete
              size="small"
              value={newTag}
              style={{ width: 200 }}
              placeholder={t('addTagHint')}
              onChange={setNewTag}
              onSelect={(v: string) => void addTag(v)}
              options={(side.catalogue ?? []).map((g) => ({ value: `${g.group}/${g.name}` }))}
              filterOption={(input, o) => String(o?.value ?? '').includes(input)}
              onKeyDown={(e) => e.key === 'Enter' && newTag.trim() && void addTag(newTag.trim())}
              data-testid="add-tag"
            />
          )}
        </Space>
      </Card>
      <ProfileWeComCard api={api} profileId={profile.id} />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          <Tabs
            items={[
              {
                key: 'ids',
                label: t('identifiers'),
                children: (
                  <Table
                    size="small"
                    rowKey={(r) => `${r.type}:${r.value}`}
                    pagination={false}
                    dataSource={profile.identifiers}
                    scroll={{ x: 'max-content' }}
                    data-testid="profile-identifiers"
                    columns={[
                      { title: t('colKind'), dataIndex: 'type' },
                      { title: t('value'), dataIndex: 'value' },
                      { title: t('firstSeen'), dataIndex: 'firstSeenAt', render: (v: string) => formatTime(v, locale) },
                    ]}
                  />
                ),
              },
              { key: 'traits', label: t('traits'), children: <JsonBlock value={profile.traits} testId="profile-traits" /> },
              {
                key: 'merges',
                label: t('mergeHistory'),
                children: side.merges?.data?.length ? (
                  <Table
                    size="small"
                    rowKey={(r) => String(r.id)}
                    pagination={false}
                    dataSource={side.merges.data}
                    scroll={{ x: 'max-content' }}
                    columns={[
                      { title: t('colKind'), dataIndex: 'kind' },
                      { title: t('from'), dataIndex: 'fromProfileId' },
                      { title: t('colReason'), render: (_: unknown, r) => `${r.identifierType ?? ''} ${r.reason ?? ''}` },
                      { title: t('at'), dataIndex: 'at', render: (v: string) => formatTime(v, locale) },
                    ]}
                  />
                ) : (
                  <Empty description={t('none')} />
                ),
              },
            ]}
          />
        </Col>
        <Col xs={24} lg={14}>
          <Tabs
            items={[
              { key: 'timeline', label: t('timeline'), children: <ProfileTimeline api={api} profileId={profile.id} /> },
              {
                key: 'consent',
                label: t('consent'),
                children: (
                  <Space direction="vertical" style={{ width: '100%' }}>
                    <JsonBlock value={side.consent ?? {}} testId="profile-consent" />
                    <Table
                      size="small"
                      rowKey={(r) => String(r.id)}
                      pagination={false}
                      dataSource={side.history ?? []}
                      columns={['purpose', 'channel', 'granted', 'source']
                        .map((k) => ({ title: t(`consent_${k}` as 'consent'), key: k, render: (_: unknown, r: Row) => text(r[k]) }))
                        .concat([{ title: t('at'), key: 'at', render: (_: unknown, r: Row) => formatTime(String(r.at), locale) }])}
                    />
                  </Space>
                ),
              },
              {
                key: 'segments',
                label: t('navSegments'),
                children: (
                  <Table
                    size="small"
                    rowKey={(r) => String(r.segmentId)}
                    pagination={false}
                    dataSource={side.segments ?? []}
                    columns={[
                      { title: t('name'), key: 'n', render: (_: unknown, r: Row) => text(r.name) },
                      { title: t('enteredAt'), key: 'e', render: (_: unknown, r: Row) => formatTime(String(r.enteredAt), locale) },
                    ]}
                  />
                ),
              },
              {
                key: 'messages',
                label: t('messagesReceived'),
                children: (
                  <Table
                    size="small"
                    rowKey={(r) => String(r.id)}
                    pagination={false}
                    dataSource={side.messages ?? []}
                    columns={['channel', 'status', 'templateId']
                      .map((k) => ({ title: k, key: k, render: (_: unknown, r: Row) => text(r[k]) }))
                      .concat([{ title: t('at'), key: 'at', render: (_: unknown, r: Row) => formatTime(String(r.createdAt ?? r.sendAt ?? ''), locale) }])}
                  />
                ),
              },
            ]}
          />
        </Col>
      </Row>
    </Space>
  );
}
