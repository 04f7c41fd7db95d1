/** The tier program (GET/PUT /v1/loyalty/tier-program) and its tiers with their benefits (POST/PUT/DELETE /v1/loyalty/tiers). Spend thresholds are typed in yuan and sent in fen. */
import { App as AntApp, Button, Card, Checkbox, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import type { TierBody, TierProgramView, TierView } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatCount } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';

type Program = TierProgramView['program'];

interface TierFields {
  key: string;
  name: string;
  threshold: number;
  paidOnly: boolean;
  discountPercent?: number;
  pointsMultiplier?: number;
  freeShipping: boolean;
  birthdayGift?: string;
  memberDayPrice: boolean;
  priorityService: boolean;
  earlyAccess: boolean;
}

/** The tier body the form makes (a spend threshold in yuan becomes fen). */
function tierBody(v: TierFields, spend: boolean): TierBody {
  return {
    key: v.key.trim(),
    name: v.name.trim(),
    threshold: spend ? Math.round((v.threshold ?? 0) * 100) : (v.threshold ?? 0),
    paidOnly: v.paidOnly,
    benefits: {
      discountPercent: v.discountPercent ?? 0,
      pointsMultiplier: v.pointsMultiplier ?? 1,
      freeShipping: v.freeShipping,
      birthdayGift: v.birthdayGift?.trim() || null,
      memberDayPrice: v.memberDayPrice,
      priorityService: v.priorityService,
      earlyAccess: v.earlyAccess,
    },
  };
}

/** The modal that adds or edits one tier. */
function TierModal({ tier, spend, onClose }: { tier: TierView | null; spend: boolean; onClose: (saved: boolean) => void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<TierFields>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const initial: Partial<TierFields> = tier
    ? {
        ...tier.benefits,
        key: tier.key,
        name: tier.name,
        threshold: spend ? tier.threshold / 100 : tier.threshold,
        paidOnly: tier.paidOnly ?? false,
        birthdayGift: tier.benefits?.birthdayGift ?? undefined,
      }
    : { paidOnly: false, freeShipping: false, memberDayPrice: false, priorityService: false, earlyAccess: false, pointsMultiplier: 1, discountPercent: 0 };
  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      const body = tierBody(v, spend);
      if (tier) await api.loyalty.saveTier(tier.key, body);
      else await api.loyalty.addTier(body);
      onClose(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const flag = (name: keyof TierFields, label: string) => (
    <Form.Item name={name} valuePropName="checked" noStyle>
      <Checkbox data-testid={`tier-${name}`}>{label}</Checkbox>
    </Form.Item>
  );
  return (
    <Modal
      open
      title={tier ? t('lmEditTier', { name: tier.name }) : t('lmAddTier')}
      onCancel={() => onClose(false)}
      onOk={submit}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'tier-submit' } as Record<`data-${string}`, string>}
    >
      <Form form={form} layout="vertical" initialValues={initial}>
        <Form.Item name="key" label={t('lmKey')} rules={[{ required: true, pattern: /^[a-z0-9_-]{1,40}$/ }]}>
          <Input disabled={tier !== null} data-testid="tier-key" />
        </Form.Item>
        <Form.Item name="name" label={t('lmName')} rules={[{ required: true, whitespace: true }]}>
          <Input maxLength={60} data-testid="tier-name" />
        </Form.Item>
        <Form.Item name="threshold" label={`${t('lmThreshold')} (${t(spend ? 'lmBasis_spend' : 'lmBasis_points')})`} rules={[{ required: true }]}>
          <InputNumber min={0} precision={spend ? 2 : 0} style={{ width: '100%' }} data-testid="tier-threshold" />
        </Form.Item>
        <Space wrap>
          <Form.Item name="discountPercent" label={t('lmDiscountPercent')}>
            <InputNumber min={0} max={90} precision={0} data-testid="tier-discount" />
          </Form.Item>
          <Form.Item name="pointsMultiplier" label={t('lmMultiplier')}>
            <InputNumber min={1} max={10} step={0.5} data-testid="tier-multiplier" />
          </Form.Item>
        </Space>
        <Form.Item name="birthdayGift" label={t('lmBirthdayGift')}>
          <Input maxLength={200} />
        </Form.Item>
        <Space wrap>
          {flag('paidOnly', t('lmPaidOnly'))}
          {flag('freeShipping', t('lmBenefitFreeShipping'))}
          {flag('memberDayPrice', t('lmBenefitMemberDay'))}
          {flag('priorityService', t('lmBenefitPriority'))}
          {flag('earlyAccess', t('lmBenefitEarly'))}
        </Space>
      </Form>
      <ErrorAlert error={error} testId="tier-error" />
    </Modal>
  );
}

/** The tier editor page. */
export function TierEditorPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [view, setView] = useState<TierProgramView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<TierView | 'new' | null>(null);
  const [tick, setTick] = useState(0);
  const [form] = Form.useForm<Program>();
  const windowKind = Form.useWatch(['window', 'kind'], form);
  useEffect(() => {
    let live = true;
    api.loyalty.program().then(
      (v) => {
        if (!live) return;
        setView(v);
        form.setFieldsValue(v.program);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, form, tick]);
  const program = view?.program;
  const spend = program?.basis === 'spend';
  const tiers: TierView[] = (program?.tiers ?? []).map((x, rank) => ({ ...x, rank }) as TierView);

  const saveProgram = async () => {
    const v = await form.validateFields();
    setError(null);
    try {
      const window = v.window.kind === 'rolling' ? { kind: 'rolling' as const, months: v.window.months } : { kind: 'lifetime' as const };
      const saved = await api.loyalty.saveProgram({ ...v, window, tiers: program?.tiers ?? [] });
      message.success(t('lmSaved', { version: saved.version }));
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (key: string) => {
    setError(null);
    try {
      await api.loyalty.removeTier(key);
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Card
        title={t('lmProgram')}
        extra={
          <Button type="primary" onClick={saveProgram} data-testid="program-save">
            {t('lmSaveProgram')}
          </Button>
        }
      >
        <ErrorAlert error={error} testId="tiers-error" />
        <Form form={form} layout="inline" initialValues={{ basis: 'points', window: { kind: 'lifetime' }, evaluation: { every: 'month' }, graceDays: 30 }}>
          <Form.Item name="basis" label={t('lmBasis')}>
            <Select
              style={{ minWidth: 160 }}
              data-testid="program-basis"
              options={(['points', 'spend'] as const).map((b) => ({ value: b, label: t(`lmBasis_${b}`) }))}
            />
          </Form.Item>
          <Form.Item name={['window', 'kind']} label={t('lmWindow')}>
            <Select style={{ minWidth: 140 }} options={(['lifetime', 'rolling'] as const).map((k) => ({ value: k, label: t(`lmWindow_${k}`) }))} />
          </Form.Item>
          {windowKind === 'rolling' && (
            <Form.Item name={['window', 'months']} label={t('lmMonths')} rules={[{ required: true }]}>
              <InputNumber min={1} max={120} />
            </Form.Item>
          )}
          <Form.Item name={['evaluation', 'every']} label={t('lmEvery')}>
            <Select style={{ minWidth: 110 }} options={(['month', 'quarter', 'year'] as const).map((k) => ({ value: k, label: t(`lmEvery_${k}`) }))} />
          </Form.Item>
          <Form.Item name="graceDays" label={t('lmGraceDays')}>
            <InputNumber min={0} max={730} />
          </Form.Item>
        </Form>
      </Card>
      <Card
        title={t('lmTiersTitle')}
        extra={
          <Button onClick={() => setEditing('new')} data-testid="tier-add">
            {t('lmAddTier')}
          </Button>
        }
      >
        <div data-testid="tiers-table">
          <Table<TierView>
            rowKey="key"
            pagination={false}
            dataSource={tiers}
            locale={{ emptyText: t('lmNoTiers') }}
            columns={[
              {
                title: t('lmName'),
                dataIndex: 'name',
                render: (v: string, x) => (
                  <Space>
                    <span data-testid="tier-row-name">{v}</span>
                    <Tag>{x.key}</Tag>
                    {x.paidOnly && <Tag color="purple">{t('lmPaidOnly')}</Tag>}
                  </Space>
                ),
              },
              {
                title: t('lmThreshold'),
                dataIndex: 'threshold',
                align: 'right',
                render: (n: number) => (spend ? `¥${(n / 100).toFixed(2)}` : formatCount(n, locale)),
              },
              { title: t('lmDiscountPercent'), key: 'discount', align: 'right', render: (_, x) => x.benefits?.discountPercent ?? 0 },
              { title: t('lmMultiplier'), key: 'mult', align: 'right', render: (_, x) => `${x.benefits?.pointsMultiplier ?? 1}×` },
              {
                title: '',
                key: 'actions',
                render: (_, x) => (
                  <Space>
                    <Button size="small" onClick={() => setEditing(x)}>
                      {t('lmEdit')}
                    </Button>
                    <Popconfirm title={t('lmRemove')} onConfirm={() => remove(x.key)}>
                      <Button size="small" danger>
                        {t('lmRemove')}
                      </Button>
                    </Popconfirm>
                  </Space>
                ),
              },
            ]}
          />
        </div>
      </Card>
      {editing && (
        <TierModal
          tier={editing === 'new' ? null : editing}
          spend={spend}
          onClose={(saved) => {
            setEditing(null);
            if (saved) setTick((n) => n + 1);
          }}
        />
      )}
    </Space>
  );
}
