/** Lotteries (抽奖): each with its prize table and what each prize has given (GET /v1/loyalty/lotteries), creating one with its table in ppm, editing a table (PUT …/prizes). */
import { Alert, Badge, Button, Card, Checkbox, Form, Input, InputNumber, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { Lottery, LotteryBody } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatCount } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';
import { statusKey } from './CatalogueItemList.tsx';

type Prize = Lottery['prizes'][number];
type PrizeFields = {
  id: string;
  name: string;
  kind: Prize['kind'];
  ppm: number;
  points?: number;
  stock?: number | null;
  couponTemplateId?: string;
  fallback?: boolean;
};
interface Fields {
  name: string;
  costPoints: number;
  dailyLimit?: number | null;
  prizes: PrizeFields[];
}

const KINDS = ['none', 'points', 'coupon', 'physical'] as const;

/** The modal that creates a lottery. */
function NewLotteryModal({ onClose }: { onClose: (created: boolean) => void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<Fields>();
  const prizes = Form.useWatch('prizes', form) ?? [];
  const sum = sumOf(prizes);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const v = await form.validateFields();
    const body: LotteryBody = {
      name: v.name.trim(),
      costPoints: v.costPoints,
      ...(v.dailyLimit != null ? { dailyLimit: v.dailyLimit } : {}),
      prizes: prizesBody(v.prizes),
    };
    setBusy(true);
    setError(null);
    try {
      await api.rewards.createLottery(body);
      onClose(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const initial: Fields = {
    name: '',
    costPoints: 10,
    prizes: [
      { id: 'p1', name: '', kind: 'points', ppm: 100_000, points: 100 },
      { id: 'none', name: '', kind: 'none', ppm: 900_000, fallback: true },
    ],
  };
  return (
    <Modal open width={960} title={t('lotNew')} onCancel={() => onClose(false)} onOk={submit} okText={t('rwCreate')} confirmLoading={busy}>
      <Form form={form} layout="vertical" initialValues={initial}>
        <Space>
          <Form.Item name="name" label={t('colName')} rules={[{ required: true, whitespace: true }]}>
            <Input maxLength={200} data-testid="lottery-name" />
          </Form.Item>
          <Form.Item name="costPoints" label={t('lotCost')} rules={[{ required: true }]}>
            <InputNumber min={0} precision={0} />
          </Form.Item>
          <Form.Item name="dailyLimit" label={t('lotDailyLimit')}>
            <InputNumber min={1} precision={0} />
          </Form.Item>
        </Space>
        <Typography.Text type={sum === 1_000_000 ? 'secondary' : 'danger'}>{t('lotSum', { sum: formatCount(sum, 'en') })}</Typography.Text>
        <PrizeLines />
      </Form>
      <ErrorAlert error={error} />
    </Modal>
  );
}

/** The prize lines of a lottery form (its `prizes` list); ids of lines already drawn from (`fixedIds`) cannot change. */
function PrizeLines({ fixedIds }: { fixedIds?: ReadonlySet<string> }) {
  const { t } = useI18n();
  const form = Form.useFormInstance<Fields>();
  const fixed = (i: number) => fixedIds?.has(form.getFieldValue(['prizes', i, 'id']) as string) ?? false;
  return (
    <Form.List name="prizes">
      {(fields, { add, remove }) => (
        <>
          {fields.map((f) => (
            <Space key={f.key} align="baseline" wrap>
              <Form.Item name={[f.name, 'id']} rules={[{ required: true, pattern: /^[a-z0-9][a-z0-9_-]{0,63}$/ }]}>
                <Input placeholder={t('lotPrizeId')} style={{ width: 90 }} disabled={fixed(f.name)} />
              </Form.Item>
              <Form.Item name={[f.name, 'name']} rules={[{ required: true, whitespace: true }]}>
                <Input placeholder={t('lotPrizeName')} style={{ width: 140 }} />
              </Form.Item>
              <Form.Item name={[f.name, 'kind']}>
                <Select style={{ width: 110 }} options={KINDS.map((k) => ({ value: k, label: t(`lotPrizeKind_${k}`) }))} />
              </Form.Item>
              <Form.Item name={[f.name, 'ppm']} rules={[{ required: true }]}>
                <InputNumber min={0} max={1_000_000} precision={0} placeholder={t('lotPpm')} style={{ width: 120 }} data-testid="prize-ppm" />
              </Form.Item>
              <Form.Item name={[f.name, 'points']}>
                <InputNumber min={1} precision={0} placeholder={t('lotPrizePoints')} style={{ width: 110 }} />
              </Form.Item>
              <Form.Item name={[f.name, 'couponTemplateId']}>
                <Input placeholder={t('catTemplate')} style={{ width: 130 }} />
              </Form.Item>
              <Form.Item name={[f.name, 'stock']}>
                <InputNumber min={0} precision={0} placeholder={t('lotPrizeStock')} style={{ width: 90 }} data-testid="prize-stock" />
              </Form.Item>
              <Form.Item name={[f.name, 'fallback']} valuePropName="checked" tooltip={t('lotFallbackHelp')}>
                <Checkbox>{t('lotFallback')}</Checkbox>
              </Form.Item>
              <Button size="small" onClick={() => remove(f.name)}>
                ×
              </Button>
            </Space>
          ))}
          <Button onClick={() => add({ id: `p${fields.length + 1}`, name: '', kind: 'physical', ppm: 0 })}>{t('lotAddPrize')}</Button>
        </>
      )}
    </Form.List>
  );
}

/** The prizes of a form as the API takes them. */
function prizesBody(prizes: PrizeFields[]): LotteryBody['prizes'] {
  return prizes.map((p) => ({
    id: p.id.trim(),
    name: p.name.trim(),
    kind: p.kind,
    ppm: p.ppm,
    ...(p.kind === 'points' ? { points: p.points } : {}),
    ...(p.kind === 'coupon' ? { couponTemplateId: p.couponTemplateId?.trim() } : {}),
    ...(p.stock != null && !p.fallback ? { stock: p.stock } : {}),
    ...(p.fallback ? { fallback: true } : {}),
  }));
}

/** The sum of a form's probabilities, in ppm. */
const sumOf = (prizes: (PrizeFields | undefined)[]) => prizes.reduce((s: number, p) => s + (p?.ppm ?? 0), 0);

/** The modal that edits a lottery's prize table (PUT …/prizes): probabilities must add up to 1,000,000 ppm. */
function EditPrizesModal({ lottery, onClose }: { lottery: Lottery; onClose: (saved: boolean) => void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<Fields>();
  const prizes = Form.useWatch('prizes', form) ?? [];
  const sum = sumOf(prizes);
  const [error, setError] = useState<unknown>(null);
  const [sumError, setSumError] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const v = await form.validateFields();
    if (sumOf(v.prizes) !== 1_000_000) {
      setSumError(true);
      return;
    }
    setSumError(false);
    setBusy(true);
    setError(null);
    try {
      await api.rewards.replacePrizes(lottery.id, { prizes: prizesBody(v.prizes) });
      onClose(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const initial = {
    prizes: lottery.prizes.map((p) => ({
      id: p.id,
      name: p.name,
      kind: p.kind,
      ppm: p.ppm,
      ...(p.points !== null ? { points: p.points } : {}),
      stock: p.stock,
      ...(p.couponTemplateId !== null ? { couponTemplateId: p.couponTemplateId } : {}),
      fallback: p.fallback,
    })),
  };
  return (
    <Modal
      open
      width={960}
      title={t('lotEditPrizesOf', { name: lottery.name })}
      onCancel={() => onClose(false)}
      onOk={submit}
      okText={t('lotSave')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'prizes-save' } as { 'data-testid': string }}
    >
      <Typography.Paragraph type="secondary">{t('lotEditHelp')}</Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={initial}>
        <Typography.Text type={sum === 1_000_000 ? 'secondary' : 'danger'} data-testid="prizes-sum">
          {t('lotSum', { sum: formatCount(sum, 'en') })}
        </Typography.Text>
        <PrizeLines fixedIds={new Set(lottery.prizes.filter((p) => p.won > 0).map((p) => p.id))} />
      </Form>
      {sumError && sum !== 1_000_000 && (
        <Alert type="error" showIcon message={t('lotSumWrong', { sum: formatCount(sum, 'en') })} data-testid="prizes-sum-error" />
      )}
      <ErrorAlert error={error} testId="prizes-error" />
    </Modal>
  );
}

/** A lottery's prize table with what each line has given. */
function PrizeTable({ lottery }: { lottery: Lottery }) {
  const { t, locale } = useI18n();
  return (
    <Table<Prize>
      rowKey="id"
      size="small"
      pagination={false}
      dataSource={lottery.prizes}
      columns={[
        {
          title: t('lotPrizeName'),
          dataIndex: 'name',
          render: (n: string, p) =>
            p.fallback ? (
              <Space>
                {n}
                <Tag>{t('lotFallback')}</Tag>
              </Space>
            ) : (
              n
            ),
        },
        { title: t('lotPrizeKind'), dataIndex: 'kind', render: (k: Prize['kind'], p) => `${t(`lotPrizeKind_${k}`)}${p.points ? ` ${p.points}` : ''}` },
        { title: t('lotPercent'), dataIndex: 'ppm', align: 'right', render: (ppm: number) => `${(ppm / 10_000).toFixed(4)}%` },
        { title: t('lotWon'), dataIndex: 'won', align: 'right', render: (w: number) => formatCount(w, locale) },
        { title: t('lotPrizeStock'), key: 'stock', align: 'right', render: (_, p) => (p.stock === null ? t('catUnlimited') : `${p.left} / ${p.stock}`) },
      ]}
    />
  );
}

/** The lotteries list; each row expands to its prize table and results. */
export function LotteryListPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const pages = useCursorPages((cursor) => api.rewards.lotteries(cursor), 'all');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Lottery | null>(null);
  const toggle = async (l: Lottery) => {
    await api.rewards.setLotteryStatus(l.id, l.status === 'active' ? 'paused' : 'active');
    pages.reload({ quiet: true });
  };
  return (
    <Card
      title={t('lotTitle')}
      extra={
        <Button type="primary" onClick={() => setCreating(true)} data-testid="new-lottery">
          {t('lotNew')}
        </Button>
      }
    >
      <ErrorAlert error={pages.error} />
      <Table<Lottery>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        locale={{ emptyText: t('lotNone') }}
        expandable={{ expandedRowRender: (l) => <PrizeTable lottery={l} /> }}
        columns={[
          { title: t('colName'), dataIndex: 'name' },
          { title: t('lotCost'), dataIndex: 'costPoints', align: 'right', render: (n: number) => formatCount(n, locale) },
          { title: t('lotDailyLimit'), dataIndex: 'dailyLimit', align: 'right', render: (n: number | null) => n ?? t('catUnlimited') },
          {
            title: t('lotWon'),
            key: 'draws',
            align: 'right',
            render: (_, l) =>
              formatCount(
                l.prizes.reduce((s, p) => s + p.won, 0),
                locale,
              ),
          },
          {
            title: t('colStatus'),
            dataIndex: 'status',
            render: (s: Lottery['status']) => <Badge status={s === 'active' ? 'success' : 'default'} text={t(statusKey(s))} />,
          },
          {
            key: 'actions',
            render: (_, l) =>
              l.status !== 'archived' && (
                <Space>
                  <Button size="small" onClick={() => setEditing(l)} data-testid="edit-prizes">
                    {t('lotEditPrizes')}
                  </Button>
                  <Button size="small" onClick={() => toggle(l)}>
                    {l.status === 'active' ? t('pause') : t('resume')}
                  </Button>
                </Space>
              ),
          },
        ]}
      />
      <CursorPager pages={pages} testId="lotteries-pager" />
      {editing && (
        <EditPrizesModal
          lottery={editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) pages.reload({ quiet: true });
          }}
        />
      )}
      {creating && (
        <NewLotteryModal
          onClose={(created) => {
            setCreating(false);
            if (created) pages.reload({ quiet: true });
          }}
        />
      )}
    </Card>
  );
}
