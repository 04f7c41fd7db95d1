/** A catalogue item's redemptions (GET /v1/loyalty/catalogue-items/:id/redemptions) and reversing one (POST /v1/loyalty/catalogue-redemptions/:id/reverse). */
import { Badge, Button, Input, Modal, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import type { CatalogueItem, CatalogueRedemption } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatCount, formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';

/** The modal that asks why, then reverses one redemption. */
function ReverseModal({ redemption, onClose }: { redemption: CatalogueRedemption; onClose: (reversed: boolean) => void }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.rewards.reverseRedemption(redemption.id, reason.trim());
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
      title={t('catReverseTitle')}
      onCancel={() => onClose(false)}
      onOk={submit}
      okText={t('catReverse')}
      okButtonProps={{ danger: true, disabled: reason.trim() === '', 'data-testid': 'reverse-confirm' } as { danger: boolean; disabled: boolean }}
      confirmLoading={busy}
    >
      <Typography.Paragraph>{t('catReverseHelp', { points: formatCount(redemption.points, locale), code: redemption.couponCode ?? '—' })}</Typography.Paragraph>
      <Input.TextArea
        rows={2}
        maxLength={500}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        placeholder={t('catReverseReason')}
        data-testid="reverse-reason"
      />
      <ErrorAlert error={error} testId="reverse-error" />
    </Modal>
  );
}

/** An item's redemptions, newest first, each reversible once. */
export function RedemptionsModal({ item, onClose }: { item: CatalogueItem; onClose: (changed: boolean) => void }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const pages = useCursorPages((cursor) => api.rewards.redemptions(item.id, cursor), item.id);
  const [reversing, setReversing] = useState<CatalogueRedemption | null>(null);
  const [changed, setChanged] = useState(false);
  return (
    <Modal open width={960} title={t('catRedemptionsOf', { name: item.name })} footer={null} onCancel={() => onClose(changed)}>
      <ErrorAlert error={pages.error} />
      <Table<CatalogueRedemption>
        rowKey="id"
        size="small"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        locale={{ emptyText: t('catNoRedemptions') }}
        data-testid="redemptions-table"
        columns={[
          { title: t('catRedeemedAt'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
          { title: t('catMember'), dataIndex: 'profileId' },
          { title: t('catPoints'), dataIndex: 'points', align: 'right', render: (p: number) => formatCount(p, locale) },
          { title: t('catCoupon'), dataIndex: 'couponCode', render: (c: string | null) => c ?? '—' },
          {
            title: t('colStatus'),
            key: 'status',
            render: (_, r) => (
              <Space direction="vertical" size={0}>
                <Badge
                  status={r.status === 'reversed' ? 'default' : 'success'}
                  text={<span data-testid="redemption-status">{t(r.status === 'reversed' ? 'catStatus_reversed' : 'catStatus_redeemed')}</span>}
                />
                {r.reverseReason && <Typography.Text type="secondary">{r.reverseReason}</Typography.Text>}
              </Space>
            ),
          },
          {
            key: 'actions',
            render: (_, r) =>
              r.status === 'redeemed' && (
                <Button size="small" danger onClick={() => setReversing(r)} data-testid="redemption-reverse">
                  {t('catReverse')}
                </Button>
              ),
          },
        ]}
      />
      <CursorPager pages={pages} testId="redemptions-pager" />
      {reversing && (
        <ReverseModal
          redemption={reversing}
          onClose={(reversed) => {
            setReversing(null);
            if (reversed) {
              setChanged(true);
              pages.reload({ quiet: true });
            }
          }}
        />
      )}
    </Modal>
  );
}
