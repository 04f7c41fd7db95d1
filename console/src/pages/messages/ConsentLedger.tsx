/**
 * The PIPL consent ledger of the workspace (GET /v1/messaging/consent), the most recently
 * recorded first, searched by profile or identifier (with the profiles merged into it), purpose,
 * channel, granted or withdrawn, and source; each entry's evidence on demand.
 */
import { Button, Card, Form, Input, Select, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { ConsentRecord, ConsentSearchQuery } from '../../api.ts';
import { CursorPager, ErrorAlert, JsonBlock, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.ts';
import { ConsentImport } from './ConsentImport.tsx';
import { TEMPLATE_CHANNELS } from './TemplateList.tsx';
import { useChannelLabel } from './shared.tsx';

type Filters = Omit<ConsentSearchQuery, 'limit' | 'cursor'>;

/** The consent ledger screen. */
export function ConsentLedgerPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const channelLabel = useChannelLabel();
  const initialProfile = new URLSearchParams(window.location.search).get('profile') ?? '';
  const [draft, setDraft] = useState<Filters>(initialProfile ? { profile: initialProfile } : {});
  const [filters, setFilters] = useState<Filters>(draft);
  const [limit, setLimit] = useState(50);
  const [imports, setImports] = useState(0);
  const pages = useCursorPages((cursor) => api.consentLedger({ ...filters, limit, cursor }), `${JSON.stringify(filters)}|${limit}|${imports}`);
  const set = (p: Partial<Filters>) => setDraft((d) => ({ ...d, ...p }));

  return (
    <Card title={t('msgConsentTitle')} extra={<ConsentImport onImported={() => setImports((n) => n + 1)} />}>
      <Typography.Paragraph type="secondary">{t('msgConsentHelp')}</Typography.Paragraph>
      <Form
        layout="inline"
        style={{ rowGap: 8, marginBottom: 16 }}
        onFinish={() => setFilters(Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== undefined && v !== '')) as Filters)}
      >
        <Form.Item label={t('colProfile')}>
          <Input
            allowClear
            value={draft.profile ?? ''}
            onChange={(e) => set({ profile: e.target.value.trim() || undefined })}
            placeholder="prf_… / phone:138… / user_id:…"
            style={{ width: 260 }}
            data-testid="consent-profile"
          />
        </Form.Item>
        <Form.Item label={t('msgPurpose')}>
          <Select
            allowClear
            value={draft.purpose}
            onChange={(purpose) => set({ purpose })}
            style={{ minWidth: 130 }}
            options={(['marketing', 'service', 'analytics', 'sharing'] as const).map((p) => ({ value: p, label: t(`msgPurpose_${p}`) }))}
            data-testid="consent-purpose"
          />
        </Form.Item>
        <Form.Item label={t('msgChannel')}>
          <Select
            allowClear
            value={draft.channel}
            onChange={(channel) => set({ channel })}
            style={{ minWidth: 140 }}
            options={[{ value: '*' as const, label: t('msgEveryChannel') }, ...TEMPLATE_CHANNELS.map((c) => ({ value: c, label: channelLabel(c) }))]}
            data-testid="consent-channel"
          />
        </Form.Item>
        <Form.Item label={t('consent_granted')}>
          <Select
            allowClear
            value={draft.granted === undefined ? undefined : String(draft.granted)}
            onChange={(v: string | undefined) => set({ granted: v === undefined ? undefined : v === 'true' })}
            style={{ minWidth: 100 }}
            options={[
              { value: 'true', label: t('msgGranted') },
              { value: 'false', label: t('msgWithdrawn') },
            ]}
          />
        </Form.Item>
        <Form.Item label={t('consent_source')}>
          <Input allowClear value={draft.source ?? ''} onChange={(e) => set({ source: e.target.value.trim() || undefined })} style={{ width: 160 }} />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" data-testid="consent-search">
            {t('msgSearch')}
          </Button>
        </Form.Item>
      </Form>
      <ErrorAlert error={pages.error} testId="consent-error" />
      <Table<ConsentRecord>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        data-testid="consent-table"
        locale={{ emptyText: t('msgNoConsent') }}
        expandable={{ expandedRowRender: (r) => <JsonBlock value={r.evidence} /> }}
        columns={[
          { title: t('msgRecordedAt'), dataIndex: 'recordedAt', render: (v: string) => formatTime(v, locale) },
          {
            title: t('colProfile'),
            dataIndex: 'profileId',
            render: (p: string) => (
              <Link to={`customers/${encodeURIComponent(p)}`} testId="consent-profile-link">
                {p}
              </Link>
            ),
          },
          { title: t('msgPurpose'), dataIndex: 'purpose', render: (p: ConsentRecord['purpose']) => t(`msgPurpose_${p}`) },
          { title: t('msgChannel'), dataIndex: 'channel', render: (c: string) => (c === '*' ? t('msgEveryChannel') : channelLabel(c)) },
          {
            title: t('consent_granted'),
            dataIndex: 'granted',
            render: (g: boolean) => (
              <Tag color={g ? 'green' : 'red'} data-testid="consent-granted">
                {g ? t('msgGranted') : t('msgWithdrawn')}
              </Tag>
            ),
          },
          { title: t('consent_source'), dataIndex: 'source', render: (s: string) => <span data-testid="consent-source">{s}</span> },
          { title: t('msgActedAt'), dataIndex: 'at', render: (v: string) => formatTime(v, locale) },
        ]}
      />
      <Select
        value={limit}
        onChange={setLimit}
        size="small"
        style={{ marginTop: 12, marginRight: 12 }}
        options={[20, 50, 100].map((n) => ({ value: n, label: t('perPage', { n }) }))}
      />
      <CursorPager pages={pages} testId="consent-pager" />
    </Card>
  );
}
