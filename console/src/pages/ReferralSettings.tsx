/** The referral programme (GET/PUT /v1/loyalty/referrals/settings): anti-fraud limits, reward rules, milestones, KOC weights. */
import { App as AntApp, Button, Card, Divider, Form, Input, InputNumber, Select, Space, Spin, Switch } from 'antd';
import { useEffect, useState } from 'react';
import type { ReferralProgrammeBody } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';

type Reward = ReferralProgrammeBody['rules'][number]['reward'];
/** A reward as the form edits it: the kind and every value field (only the kind's is sent). */
type RewardForm = { kind: Reward['kind']; points?: number; template?: string; days?: number };
type RuleForm = {
  id: string;
  on: 'registration' | 'first_purchase' | 'purchase';
  days?: number;
  minOrderFen?: number;
  to: 'referrer' | 'referee' | 'both';
  reward: RewardForm;
};
type MilestoneForm = { id: string; count: number; reward: RewardForm };
type ProgrammeForm = Omit<ReferralProgrammeBody, 'rules' | 'milestones'> & { rules: RuleForm[]; milestones: MilestoneForm[] };

/** The reward the API takes from the form's fields. */
function rewardOf(r: RewardForm): Reward {
  if (r.kind === 'points') return { kind: 'points', points: r.points ?? 0 };
  if (r.kind === 'coupon') return { kind: 'coupon', template: r.template ?? '' };
  return { kind: 'tier_days', days: r.days ?? 0 };
}

/** The reward kind and its value field (`name` inside its list item, `path` from the form's root). */
function RewardFields({ name, path }: { name: (string | number)[]; path: (string | number)[] }) {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  const kind = Form.useWatch([...path, 'kind'], form) as Reward['kind'] | undefined;
  return (
    <Space wrap>
      <Form.Item name={[...name, 'kind']} label={t('refRewardKind')} rules={[{ required: true }]}>
        <Select style={{ width: 140 }} options={(['points', 'coupon', 'tier_days'] as const).map((k) => ({ value: k, label: t(`refReward_${k}`) }))} />
      </Form.Item>
      {kind === 'points' && (
        <Form.Item name={[...name, 'points']} label={t('refPoints')} rules={[{ required: true }]}>
          <InputNumber min={1} precision={0} data-testid="ref-reward-points" />
        </Form.Item>
      )}
      {kind === 'coupon' && (
        <Form.Item name={[...name, 'template']} label={t('refCouponTemplate')} rules={[{ required: true, whitespace: true }]}>
          <Input style={{ width: 200 }} />
        </Form.Item>
      )}
      {kind === 'tier_days' && (
        <Form.Item name={[...name, 'days']} label={t('refTierDays')} rules={[{ required: true }]}>
          <InputNumber min={1} precision={0} />
        </Form.Item>
      )}
    </Space>
  );
}

/** One reward rule's fields. */
function RuleFields({ field, remove }: { field: { name: number; key: number }; remove: () => void }) {
  const { t } = useI18n();
  const on = Form.useWatch(['rules', field.name, 'on']) as RuleForm['on'] | undefined;
  return (
    <Card
      size="small"
      style={{ marginBottom: 8 }}
      data-testid="ref-rule"
      extra={
        <Button size="small" danger onClick={remove}>
          {t('refRemove')}
        </Button>
      }
    >
      <Space wrap>
        <Form.Item name={[field.name, 'id']} label={t('refRuleId')} rules={[{ required: true, pattern: /^[a-z0-9_-]{1,40}$/ }]}>
          <Input style={{ width: 140 }} data-testid="ref-rule-id" />
        </Form.Item>
        <Form.Item name={[field.name, 'on']} label={t('refOn')} rules={[{ required: true }]}>
          <Select
            style={{ width: 200 }}
            options={(['registration', 'first_purchase', 'purchase'] as const).map((k) => ({ value: k, label: t(`refOn_${k}`) }))}
          />
        </Form.Item>
        {on === 'purchase' && (
          <Form.Item name={[field.name, 'days']} label={t('refDays')} rules={[{ required: true }]}>
            <InputNumber min={1} max={3660} precision={0} />
          </Form.Item>
        )}
        <Form.Item name={[field.name, 'to']} label={t('refTo')} rules={[{ required: true }]}>
          <Select style={{ width: 140 }} options={(['referrer', 'referee', 'both'] as const).map((k) => ({ value: k, label: t(`refTo_${k}`) }))} />
        </Form.Item>
        <Form.Item name={[field.name, 'minOrderFen']} label={t('refMinOrder')}>
          <InputNumber min={0} precision={0} />
        </Form.Item>
      </Space>
      <RewardFields name={[field.name, 'reward']} path={['rules', field.name, 'reward']} />
    </Card>
  );
}

/** The programme editor. */
export function ReferralSettingsPage() {
  const { api } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<ProgrammeForm>();
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.referrals
      .programme()
      .then((p) => {
        form.setFieldsValue({ ...(p as unknown as ProgrammeForm), shareUrl: p.shareUrl ?? undefined });
        setLoaded(true);
      })
      .catch(setError);
  }, [api, form]);

  const save = async () => {
    await form.validateFields();
    // Every value, not only the mounted fields' (a list item's hidden reward fields keep theirs).
    const v = form.getFieldsValue(true) as ProgrammeForm;
    setBusy(true);
    setError(null);
    try {
      const body: ReferralProgrammeBody = {
        ...v,
        shareUrl: v.shareUrl ? v.shareUrl : null,
        rules: (v.rules ?? []).map((r) => ({ ...r, days: r.on === 'purchase' ? r.days : undefined, reward: rewardOf(r.reward) })),
        milestones: (v.milestones ?? []).map((m) => ({ ...m, reward: rewardOf(m.reward) })),
      };
      await api.referrals.saveProgramme(JSON.parse(JSON.stringify(body)) as ReferralProgrammeBody);
      message.success(t('refSaved'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t('refSettingsTitle')}>
      <ErrorAlert error={error} testId="ref-settings-error" />
      {!loaded && !error ? (
        <Spin />
      ) : (
        <Form form={form} layout="vertical" style={{ maxWidth: 900 }}>
          <Form.Item name="enabled" label={t('refEnabled')} valuePropName="checked">
            <Switch data-testid="ref-enabled" />
          </Form.Item>
          <Space wrap>
            <Form.Item name="newWithinMinutes" label={t('refNewWithin')} rules={[{ required: true }]}>
              <InputNumber min={1} precision={0} />
            </Form.Item>
            <Form.Item name="maxPerReferrerPerDay" label={t('refVelocity')} rules={[{ required: true }]}>
              <InputNumber min={1} precision={0} data-testid="ref-velocity" />
            </Form.Item>
            <Form.Item name="commissionDays" label={t('refCommissionDays')}>
              <InputNumber min={1} max={3660} precision={0} />
            </Form.Item>
          </Space>
          <Form.Item name="shareUrl" label={t('refShareUrl')} rules={[{ pattern: /^https?:\/\/.*\{code\}/ }]}>
            <Input placeholder="https://shop.example/r/{code}" />
          </Form.Item>
          <Form.Item name="attributionEvents" label={t('refAttributionEvents')} extra={t('refAttributionEventsHelp')}>
            <Select mode="tags" style={{ maxWidth: 500 }} />
          </Form.Item>
          <Divider titlePlacement="start">{t('refRules')}</Divider>
          <Form.List name="rules">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <RuleFields key={f.key} field={f} remove={() => remove(f.name)} />
                ))}
                <Button
                  onClick={() => add({ id: `rule-${fields.length + 1}`, on: 'registration', to: 'both', reward: { kind: 'points', points: 50 } })}
                  data-testid="ref-add-rule"
                >
                  {t('refAddRule')}
                </Button>
              </>
            )}
          </Form.List>
          <Divider titlePlacement="start">{t('refMilestones')}</Divider>
          <Form.List name="milestones">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Card
                    key={f.key}
                    size="small"
                    style={{ marginBottom: 8 }}
                    extra={
                      <Button size="small" danger onClick={() => remove(f.name)}>
                        {t('refRemove')}
                      </Button>
                    }
                  >
                    <Space wrap>
                      <Form.Item name={[f.name, 'id']} label={t('refRuleId')} rules={[{ required: true, pattern: /^[a-z0-9_-]{1,40}$/ }]}>
                        <Input style={{ width: 140 }} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'count']} label={t('refMilestoneCount')} rules={[{ required: true }]}>
                        <InputNumber min={1} precision={0} />
                      </Form.Item>
                    </Space>
                    <RewardFields name={[f.name, 'reward']} path={['milestones', f.name, 'reward']} />
                  </Card>
                ))}
                <Button onClick={() => add({ id: `milestone-${fields.length + 1}`, count: 3, reward: { kind: 'points', points: 500 } })}>
                  {t('refAddMilestone')}
                </Button>
              </>
            )}
          </Form.List>
          <Divider titlePlacement="start">{t('refKocWeights')}</Divider>
          <Space wrap>
            <Form.Item name={['kocWeights', 'referral']} label={t('refWeightReferral')} rules={[{ required: true }]}>
              <InputNumber min={0} max={1000} />
            </Form.Item>
            <Form.Item name={['kocWeights', 'groupBuy']} label={t('refWeightGroupBuy')} rules={[{ required: true }]}>
              <InputNumber min={0} max={1000} />
            </Form.Item>
            <Form.Item name={['kocWeights', 'community']} label={t('refWeightCommunity')} rules={[{ required: true }]}>
              <InputNumber min={0} max={1000} />
            </Form.Item>
          </Space>
          <div>
            <Button type="primary" loading={busy} onClick={save} data-testid="ref-save">
              {t('refSave')}
            </Button>
          </div>
        </Form>
      )}
    </Card>
  );
}
