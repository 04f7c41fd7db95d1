/** Group-buys (拼团): campaigns with their groups counted (GET /v1/loyalty/group-buy-campaigns), creating one, and each campaign's groups with their members. */
import { Badge, Button, Card, DatePicker, Drawer, Form, Input, InputNumber, Modal, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import type { GroupBuyCampaign, GroupBuyCampaignBody, GroupBuyGroupPage } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatMoney, formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';
import { statusKey } from './CatalogueItemList.tsx';

type Group = GroupBuyGroupPage['data'][number];
interface Fields {
  name: string;
  productId: string;
  productName?: string;
  priceYuan?: number | null;
  groupSize: number;
  groupHours: number;
  /** The DatePicker's value (a dayjs object). */
  endsAt: { toISOString(): string };
  rewardPoints?: number | null;
  rewardCouponTemplateId?: string;
}

/** The modal that creates a campaign. */
function NewCampaignModal({ onClose }: { onClose: (created: boolean) => void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<Fields>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const v = await form.validateFields();
    const body: GroupBuyCampaignBody = {
      name: v.name.trim(),
      productId: v.productId.trim(),
      groupSize: v.groupSize,
      groupHours: v.groupHours,
      endsAt: v.endsAt.toISOString(),
      ...(v.productName ? { productName: v.productName.trim() } : {}),
      ...(v.priceYuan != null ? { priceFen: Math.round(v.priceYuan * 100) } : {}),
      ...(v.rewardPoints != null ? { rewardPoints: v.rewardPoints } : {}),
      ...(v.rewardCouponTemplateId?.trim() ? { rewardCouponTemplateId: v.rewardCouponTemplateId.trim() } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      await api.rewards.createCampaign(body);
      onClose(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      width={640}
      title={t('gbNew')}
      onCancel={() => onClose(false)}
      onOk={submit}
      okText={t('rwCreate')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'campaign-save' } as { 'data-testid': string }}
    >
      <Form form={form} layout="vertical" initialValues={{ groupSize: 3, groupHours: 24 }}>
        <Form.Item name="name" label={t('colName')} rules={[{ required: true, whitespace: true }]}>
          <Input maxLength={200} data-testid="campaign-name" />
        </Form.Item>
        <Space wrap>
          <Form.Item name="productId" label={t('gbProduct')} rules={[{ required: true, whitespace: true }]}>
            <Input data-testid="campaign-product" />
          </Form.Item>
          <Form.Item name="productName" label={t('gbProductName')}>
            <Input />
          </Form.Item>
          <Form.Item name="priceYuan" label={t('gbPrice')}>
            <InputNumber min={0} precision={2} data-testid="campaign-price" />
          </Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="groupSize" label={t('gbSize')} rules={[{ required: true }]}>
            <InputNumber min={2} max={100} precision={0} data-testid="campaign-size" />
          </Form.Item>
          <Form.Item name="groupHours" label={t('gbHours')} rules={[{ required: true }]}>
            <InputNumber min={1} max={720} precision={0} />
          </Form.Item>
          <Form.Item name="endsAt" label={t('gbEndsAt')} rules={[{ required: true }]}>
            <DatePicker showTime data-testid="campaign-ends" />
          </Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="rewardPoints" label={t('gbRewardPoints')}>
            <InputNumber min={1} precision={0} data-testid="campaign-points" />
          </Form.Item>
          <Form.Item name="rewardCouponTemplateId" label={t('gbRewardCoupon')}>
            <Input />
          </Form.Item>
        </Space>
      </Form>
      <ErrorAlert error={error} testId="campaign-error" />
    </Modal>
  );
}

/** The groups of a campaign, newest first, with their members. */
function GroupsDrawer({ campaign, onClose }: { campaign: GroupBuyCampaign; onClose: () => void }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const pages = useCursorPages((cursor) => api.rewards.groups(campaign.id, cursor), campaign.id);
  const color = { open: 'processing', formed: 'success', cancelled: 'default' } as const;
  return (
    <Drawer open width={760} title={t('gbGroupsOf', { name: campaign.name })} onClose={onClose}>
      <ErrorAlert error={pages.error} />
      <Table<Group>
        rowKey="id"
        size="small"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        columns={[
          { title: t('gbCode'), dataIndex: 'code', render: (c: string) => <span data-testid="group-code">{c}</span> },
          {
            title: t('colStatus'),
            dataIndex: 'status',
            render: (s: Group['status']) => <Badge status={color[s]} text={<span data-testid="group-status">{t(`gbStatus_${s}`)}</span>} />,
          },
          { title: t('gbJoined'), key: 'joined', align: 'right', render: (_, g) => `${g.joined} / ${g.size}` },
          { title: t('gbDeadline'), dataIndex: 'deadline', render: (d: string) => formatTime(d, locale) },
          { title: t('gbMembers'), key: 'members', render: (_, g) => (g.members ?? []).map((m) => <Tag key={m.profileId}>{m.profileId}</Tag>) },
        ]}
      />
      <CursorPager pages={pages} testId="groups-pager" />
    </Drawer>
  );
}

/** The group-buy campaigns list. */
export function GroupBuyListPage() {
  const { api, workspace } = useSession();
  const { t, locale } = useI18n();
  const currency = workspace.settings.currency ?? 'CNY';
  const pages = useCursorPages((cursor) => api.rewards.campaigns(cursor), 'all');
  const [creating, setCreating] = useState(false);
  const [showing, setShowing] = useState<GroupBuyCampaign | null>(null);
  return (
    <Card
      title={t('gbTitle')}
      extra={
        <Space>
          <Button onClick={() => pages.reload()} data-testid="campaigns-refresh">
            {t('refresh')}
          </Button>
          <Button type="primary" onClick={() => setCreating(true)} data-testid="new-campaign">
            {t('gbNew')}
          </Button>
        </Space>
      }
    >
      <ErrorAlert error={pages.error} />
      <Table<GroupBuyCampaign>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        locale={{ emptyText: t('gbNone') }}
        columns={[
          { title: t('colName'), dataIndex: 'name', render: (n: string) => <span data-testid="campaign-row-name">{n}</span> },
          { title: t('gbProduct'), key: 'product', render: (_, c) => c.productName ?? c.productId },
          { title: t('gbPrice'), dataIndex: 'priceFen', align: 'right', render: (f: number | null) => (f === null ? '—' : formatMoney(f, currency, locale)) },
          { title: t('gbSize'), dataIndex: 'groupSize', align: 'right' },
          { title: t('gbEndsAt'), dataIndex: 'endsAt', render: (d: string) => formatTime(d, locale) },
          {
            title: t('gbGroups'),
            key: 'groups',
            align: 'right',
            render: (_, c) => <span data-testid="campaign-row-groups">{`${c.groups.open} / ${c.groups.formed} / ${c.groups.cancelled}`}</span>,
          },
          {
            title: t('colStatus'),
            dataIndex: 'status',
            render: (s: GroupBuyCampaign['status']) => <Badge status={s === 'active' ? 'success' : 'default'} text={t(statusKey(s))} />,
          },
          {
            key: 'actions',
            render: (_, c) => (
              <Button size="small" onClick={() => setShowing(c)} data-testid="show-groups">
                {t('gbShowGroups')}
              </Button>
            ),
          },
        ]}
      />
      <CursorPager pages={pages} testId="campaigns-pager" />
      {creating && (
        <NewCampaignModal
          onClose={(created) => {
            setCreating(false);
            if (created) pages.reload({ quiet: true });
          }}
        />
      )}
      {showing && <GroupsDrawer campaign={showing} onClose={() => setShowing(null)} />}
    </Card>
  );
}
