/** The points mall (积分商城): catalogue items with their stock (GET /v1/loyalty/catalogue-items), creating one, pausing and resuming, their redemptions (reversible). */
import { Badge, Button, Card, Form, Input, InputNumber, Modal, Radio, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import type { CatalogueItem, CatalogueItemBody } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatCount } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';
import { RedemptionsModal } from './CatalogueRedemptions.tsx';

type StatusKey = 'statusActive' | 'statusPaused' | 'statusArchived';
/** The i18n key of an offer's status. */
export const statusKey = (s: 'active' | 'paused' | 'archived'): StatusKey =>
  s === 'active' ? 'statusActive' : s === 'paused' ? 'statusPaused' : 'statusArchived';

interface Fields {
  name: string;
  kind: 'coupon' | 'physical' | 'virtual';
  couponTemplateId?: string;
  points: number;
  stock?: number | null;
  perMemberLimit?: number | null;
}

/** The modal that creates a catalogue item. */
function NewItemModal({ onClose }: { onClose: (created: boolean) => void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<Fields>();
  const kind = Form.useWatch('kind', form);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const v = await form.validateFields();
    const body: CatalogueItemBody = {
      name: v.name.trim(),
      kind: v.kind,
      points: v.points,
      ...(v.kind === 'coupon' ? { couponTemplateId: v.couponTemplateId?.trim() } : {}),
      ...(v.stock != null ? { stock: v.stock } : {}),
      ...(v.perMemberLimit != null ? { perMemberLimit: v.perMemberLimit } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      await api.rewards.createItem(body);
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
      title={t('catNew')}
      onCancel={() => onClose(false)}
      onOk={submit}
      okText={t('rwCreate')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'item-save' } as { 'data-testid': string }}
    >
      <Form form={form} layout="vertical" initialValues={{ kind: 'virtual' }}>
        <Form.Item name="name" label={t('colName')} rules={[{ required: true, whitespace: true }]}>
          <Input maxLength={200} data-testid="item-name" />
        </Form.Item>
        <Form.Item name="kind" label={t('catKind')}>
          <Radio.Group>
            {(['coupon', 'physical', 'virtual'] as const).map((k) => (
              <Radio key={k} value={k}>
                {t(`catKind_${k}`)}
              </Radio>
            ))}
          </Radio.Group>
        </Form.Item>
        {kind === 'coupon' && (
          <Form.Item name="couponTemplateId" label={t('catTemplate')} rules={[{ required: true, whitespace: true }]}>
            <Input data-testid="item-template" />
          </Form.Item>
        )}
        <Form.Item name="points" label={t('catPoints')} rules={[{ required: true }]}>
          <InputNumber min={1} precision={0} data-testid="item-points" />
        </Form.Item>
        <Space>
          <Form.Item name="stock" label={t('lotPrizeStock')}>
            <InputNumber min={0} precision={0} placeholder={t('catUnlimited')} data-testid="item-stock" />
          </Form.Item>
          <Form.Item name="perMemberLimit" label={t('catPerMember')}>
            <InputNumber min={1} precision={0} placeholder={t('catUnlimited')} />
          </Form.Item>
        </Space>
      </Form>
      <ErrorAlert error={error} testId="item-error" />
    </Modal>
  );
}

/** The catalogue items list. */
export function CatalogueItemListPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const pages = useCursorPages((cursor) => api.rewards.items(cursor), 'all');
  const [creating, setCreating] = useState(false);
  const [showing, setShowing] = useState<CatalogueItem | null>(null);
  const [error, setError] = useState<unknown>(null);
  const toggle = async (item: CatalogueItem) => {
    setError(null);
    try {
      await api.rewards.setItemStatus(item.id, item.status === 'active' ? 'paused' : 'active');
      pages.reload({ quiet: true });
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card
      title={t('catTitle')}
      extra={
        <Button type="primary" onClick={() => setCreating(true)} data-testid="new-item">
          {t('catNew')}
        </Button>
      }
    >
      <ErrorAlert error={pages.error ?? error} />
      <Table<CatalogueItem>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        locale={{ emptyText: t('catNone') }}
        data-testid="items-table"
        columns={[
          { title: t('colName'), dataIndex: 'name', render: (_, i) => <span data-testid="item-row-name">{i.name}</span> },
          { title: t('catKind'), dataIndex: 'kind', render: (k: CatalogueItem['kind']) => <Tag>{t(`catKind_${k}`)}</Tag> },
          { title: t('catPoints'), dataIndex: 'points', align: 'right', render: (p: number) => formatCount(p, locale) },
          {
            title: t('catStock'),
            key: 'stock',
            align: 'right',
            render: (_, i) => (
              <span data-testid="item-row-stock">{`${formatCount(i.redeemed, locale)} / ${i.stock === null ? t('catUnlimited') : formatCount(i.stock, locale)}`}</span>
            ),
          },
          { title: t('catPerMember'), dataIndex: 'perMemberLimit', align: 'right', render: (n: number | null) => (n === null ? t('catUnlimited') : n) },
          {
            title: t('colStatus'),
            dataIndex: 'status',
            render: (s: CatalogueItem['status']) => <Badge status={s === 'active' ? 'success' : 'default'} text={t(statusKey(s))} />,
          },
          {
            key: 'actions',
            render: (_, i) => (
              <Space>
                <Button size="small" onClick={() => setShowing(i)} data-testid="item-redemptions">
                  {t('catRedemptions')}
                </Button>
                {i.status !== 'archived' && (
                  <Button size="small" onClick={() => toggle(i)}>
                    {i.status === 'active' ? t('pause') : t('resume')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <CursorPager pages={pages} testId="items-pager" />
      {showing && (
        <RedemptionsModal
          item={showing}
          onClose={(changed) => {
            setShowing(null);
            if (changed) pages.reload({ quiet: true });
          }}
        />
      )}
      {creating && (
        <NewItemModal
          onClose={(created) => {
            setCreating(false);
            if (created) pages.reload({ quiet: true });
          }}
        />
      )}
    </Card>
  );
}
