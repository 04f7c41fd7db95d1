/** A new coupon template (POST /v1/loyalty/coupon-templates): the offer by kind, validity, stacking and limits. Amounts are typed in yuan and sent in fen. */
import { App as AntApp, Button, Card, Checkbox, DatePicker, Form, Input, InputNumber, Radio, Space } from 'antd';
import { useState } from 'react';
import type { CouponKind, CreateCouponTemplateBody } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { useI18n } from '../i18n.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.ts';

interface Fields {
  key?: string;
  name: string;
  description?: string;
  kind: CouponKind;
  amountYuan?: number;
  percentOff?: number;
  capYuan?: number | null;
  thresholdYuan?: number;
  itemKey?: string;
  validityKind: 'days' | 'until';
  days?: number;
  /** The DatePicker's value (a dayjs object; typed by what is used, dayjs being antd's dependency, not ours). */
  until?: { endOf(unit: 'day'): { toISOString(): string } };
  stackable: boolean;
  perPersonLimit?: number | null;
  stock?: number | null;
}

const fen = (yuan: number | null | undefined) => (yuan == null ? undefined : Math.round(yuan * 100));

/** The body the form's values make (only the fields the kind takes). */
function bodyOf(v: Fields): CreateCouponTemplateBody {
  const offer =
    v.kind === 'fixed'
      ? { amountFen: fen(v.amountYuan) }
      : v.kind === 'threshold'
        ? { amountFen: fen(v.amountYuan), thresholdFen: fen(v.thresholdYuan) }
        : v.kind === 'percent'
          ? { percentOff: v.percentOff, ...(v.capYuan != null ? { capFen: fen(v.capYuan) } : {}) }
          : { itemKey: v.itemKey?.trim() };
  return {
    ...(v.key?.trim() ? { key: v.key.trim() } : {}),
    name: v.name.trim(),
    ...(v.description?.trim() ? { description: v.description.trim() } : {}),
    kind: v.kind,
    ...offer,
    validity: v.validityKind === 'days' ? { days: v.days ?? null } : { until: v.until ? v.until.endOf('day').toISOString() : null },
    stackable: v.stackable,
    ...(v.perPersonLimit != null ? { perPersonLimit: v.perPersonLimit } : {}),
    ...(v.stock != null ? { stock: v.stock } : {}),
  };
}

/** The create form. */
export function CouponTemplateEditorPage() {
  const { api } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<Fields>();
  const kind = Form.useWatch('kind', form) ?? 'threshold';
  const validityKind = Form.useWatch('validityKind', form) ?? 'days';
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      await api.createCouponTemplate(bodyOf(v));
      message.success(t('couponCreated'));
      navigate('coupons');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const required = [{ required: true }];

  return (
    <Card title={t('couponNewTitle')} extra={<Link to="coupons">{t('back')}</Link>}>
      <Form<Fields>
        form={form}
        layout="vertical"
        style={{ maxWidth: 640 }}
        initialValues={{ kind: 'threshold', validityKind: 'days', days: 7, stackable: false }}
      >
        <Form.Item name="name" label={t('couponName')} rules={[{ required: true, whitespace: true }]}>
          <Input maxLength={200} data-testid="coupon-form-name" />
        </Form.Item>
        <Form.Item name="key" label={t('couponKey')} extra={t('couponKeyHelp')} rules={[{ pattern: /^[a-z0-9][a-z0-9_-]{0,63}$/ }]}>
          <Input data-testid="coupon-form-key" />
        </Form.Item>
        <Form.Item name="description" label={t('couponDescription')}>
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>
        <Form.Item name="kind" label={t('couponKind')}>
          <Radio.Group
            data-testid="coupon-form-kind"
            options={(['threshold', 'fixed', 'percent', 'free_item'] as const).map((k) => ({ value: k, label: t(`couponKind_${k}`) }))}
          />
        </Form.Item>
        {(kind === 'fixed' || kind === 'threshold') && (
          <Form.Item name="amountYuan" label={t('couponAmountYuan')} rules={required}>
            <InputNumber min={0.01} precision={2} style={{ width: 200 }} data-testid="coupon-form-amount" />
          </Form.Item>
        )}
        {kind === 'threshold' && (
          <Form.Item name="thresholdYuan" label={t('couponThresholdYuan')} rules={required}>
            <InputNumber min={0.01} precision={2} style={{ width: 200 }} data-testid="coupon-form-threshold" />
          </Form.Item>
        )}
        {kind === 'percent' && (
          <Space size="large">
            <Form.Item name="percentOff" label={t('couponPercentOff')} rules={required}>
              <InputNumber min={1} max={99} precision={0} />
            </Form.Item>
            <Form.Item name="capYuan" label={t('couponCapYuan')}>
              <InputNumber min={0.01} precision={2} />
            </Form.Item>
          </Space>
        )}
        {kind === 'free_item' && (
          <Form.Item name="itemKey" label={t('couponItemKey')} rules={[{ required: true, whitespace: true }]}>
            <Input maxLength={200} />
          </Form.Item>
        )}
        <Form.Item name="validityKind" label={t('couponValidityKind')}>
          <Radio.Group
            options={[
              { value: 'days', label: t('couponValidityDays') },
              { value: 'until', label: t('couponValidityUntil') },
            ]}
          />
        </Form.Item>
        {validityKind === 'days' ? (
          <Form.Item name="days" label={t('couponDays')} rules={required}>
            <InputNumber min={1} max={3660} precision={0} data-testid="coupon-form-days" />
          </Form.Item>
        ) : (
          <Form.Item name="until" label={t('couponUntil')} rules={required}>
            <DatePicker />
          </Form.Item>
        )}
        <Form.Item name="stackable" valuePropName="checked">
          <Checkbox>{t('couponStackable')}</Checkbox>
        </Form.Item>
        <Space size="large">
          <Form.Item name="perPersonLimit" label={t('couponPerPerson')}>
            <InputNumber min={1} precision={0} />
          </Form.Item>
          <Form.Item name="stock" label={t('couponStockField')}>
            <InputNumber min={1} precision={0} />
          </Form.Item>
        </Space>
      </Form>
      <ErrorAlert error={error} testId="coupon-form-error" />
      <Space style={{ marginTop: 16 }}>
        <Button type="primary" loading={busy} onClick={save} data-testid="coupon-form-save">
          {t('couponCreate')}
        </Button>
        <Button onClick={() => navigate('coupons')}>{t('cancel')}</Button>
      </Space>
    </Card>
  );
}
