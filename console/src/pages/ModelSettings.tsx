/**
 * The models' settings on the RFM report screen: shown (GET /v1/models/settings) and edited in a
 * modal (PUT /v1/models/settings). The server is the one judge of a value: the form only makes
 * sure every field holds a number, and a refusal is shown with the server's message, which names
 * the setting (e.g. `segmentation.lifecycle.churnedDays (180) must be greater than silentDays (200)`).
 */
import { App as AntApp, Button, Card, Col, Descriptions, Divider, Form, InputNumber, Modal, Row, Space, Switch, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import type { ModelSettings, RfmReport, SegmentationSettings, Thresholds } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatMoney } from '../format.ts';
import { type MessageKey, useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';

const DIMS = ['r', 'f', 'm'] as const;
type Dim = (typeof DIMS)[number];

/** Money is entered in yuan (two decimals) and sent in integer fen. */
const fenToYuan = (fen: number) => fen / 100;
const yuanToFen = (yuan: number) => Math.round(yuan * 100);

/** One RFM dimension in the form: M's thresholds are in yuan. */
interface DimForm {
  split: number;
  /** Own thresholds (true) or quintiles over the buyers (false). */
  custom: boolean;
  values: (number | null)[];
}

/** The form's values: the settings with money in yuan and thresholds as a switch plus four numbers. */
interface SettingsForm {
  rfm: Record<Dim, DimForm>;
  lifecycle: Omit<SegmentationSettings['lifecycle'], 'loyalMinSpentFen'> & { loyalMinSpentYuan: number };
  community: SegmentationSettings['community'];
}

/**
 * The form's starting values. A dimension on quintiles starts its four fields from the thresholds
 * the last run used, so switching to own values begins from the current cut-offs.
 */
function toForm(s: SegmentationSettings, lastRun: RfmReport['thresholds']): SettingsForm {
  const dim = (d: Dim): DimForm => {
    const own = s.rfm.thresholds[d];
    const start = own ?? lastRun?.[d] ?? null;
    return {
      split: s.rfm.split[d],
      custom: own !== null,
      values: start ? start.map((v) => (d === 'm' ? fenToYuan(v) : v)) : [null, null, null, null],
    };
  };
  const { loyalMinSpentFen, ...lifecycle } = s.lifecycle;
  return {
    rfm: { r: dim('r'), f: dim('f'), m: dim('m') },
    lifecycle: { ...lifecycle, loyalMinSpentYuan: fenToYuan(loyalMinSpentFen) },
    community: { ...s.community, weights: { ...s.community.weights } },
  };
}

/**
 * The PUT body: every model's settings, since the server gives anything left out its default. The
 * cell names are not edited here and go back as they came, so custom names are kept.
 */
function fromForm(v: SettingsForm, current: SegmentationSettings): SegmentationSettings {
  const thresholds = (d: Dim): Thresholds | null => {
    if (!v.rfm[d].custom) return null;
    const [a, b, c, e] = v.rfm[d].values.map((x) => (d === 'm' ? yuanToFen(x!) : x!));
    return [a!, b!, c!, e!];
  };
  const { loyalMinSpentYuan, ...lifecycle } = v.lifecycle;
  return {
    rfm: {
      thresholds: { r: thresholds('r'), f: thresholds('f'), m: thresholds('m') },
      split: { r: v.rfm.r.split, f: v.rfm.f.split, m: v.rfm.m.split },
      cellNames: current.rfm.cellNames,
    },
    lifecycle: { ...lifecycle, loyalMinSpentFen: yuanToFen(loyalMinSpentYuan) },
    community: v.community,
  };
}

/** A label with the setting's API name beside it, so a server message naming it is easy to place. */
function Label({ text, api }: { text: string; api: string }) {
  return (
    <span>
      {text}{' '}
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {api}
      </Typography.Text>
    </span>
  );
}

/** The settings editor, mounted while open. */
function SettingsModal({
  settings,
  lastRun,
  onSaved,
  onClose,
}: {
  settings: ModelSettings;
  lastRun: RfmReport['thresholds'];
  onSaved: (s: ModelSettings) => void;
  onClose: () => void;
}) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<SettingsForm>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [initial] = useState(() => toForm(settings.segmentation, lastRun));
  const custom = {
    r: Form.useWatch(['rfm', 'r', 'custom'], form) ?? initial.rfm.r.custom,
    f: Form.useWatch(['rfm', 'f', 'custom'], form) ?? initial.rfm.f.custom,
    m: Form.useWatch(['rfm', 'm', 'custom'], form) ?? initial.rfm.m.custom,
  };

  const save = async () => {
    try {
      await form.validateFields();
    } catch {
      return;
    }
    // The whole store: the thresholds of a dimension on quintiles are not mounted, but kept.
    const values = form.getFieldsValue(true) as SettingsForm;
    setSaving(true);
    setError(null);
    try {
      onSaved(await api.saveModelSettings(fromForm(values, settings.segmentation)));
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const required = [{ required: true, message: t('settingRequired') }];
  const whole = (name: (string | number)[], label: ReactNode, extra?: string) => (
    <Form.Item name={name} label={label} rules={required} extra={extra}>
      <InputNumber precision={0} style={{ width: '100%' }} />
    </Form.Item>
  );
  const dimLabel: Record<Dim, MessageKey> = { r: 'rfmDim_r', f: 'rfmDim_f', m: 'rfmDim_m' };

  return (
    <Modal
      open
      width={880}
      title={t('settingsEditTitle')}
      onCancel={onClose}
      maskClosable={false}
      footer={
        <Space>
          <Button onClick={onClose} data-testid="settings-cancel">
            {t('cancel')}
          </Button>
          <Button type="primary" loading={saving} onClick={save} data-testid="settings-save">
            {t('save')}
          </Button>
        </Space>
      }
    >
      <Form<SettingsForm> form={form} name="modelSettings" layout="vertical" initialValues={initial} requiredMark={false} data-testid="settings-form">
        <Typography.Paragraph type="secondary">{t('settingsEditHelp')}</Typography.Paragraph>
        <Divider titlePlacement="start">{t('rfmThresholds')}</Divider>
        {DIMS.map((d) => (
          <Row gutter={12} key={d} align="top">
            <Col span={5}>
              <Form.Item name={['rfm', d, 'split']} label={<Label text={`${t(dimLabel[d])} · ${t('split')}`} api={`split.${d}`} />} rules={required}>
                <InputNumber precision={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col span={5}>
              <Form.Item name={['rfm', d, 'custom']} label={<Label text={t('ownThresholds')} api={`thresholds.${d}`} />} valuePropName="checked">
                <Switch checkedChildren={t('thresholdSource_settings')} unCheckedChildren={t('thresholdSource_quintiles')} />
              </Form.Item>
            </Col>
            <Col span={14}>
              {custom[d] ? (
                <Form.Item label={t(d === 'r' ? 'thresholdsHelp_r' : d === 'f' ? 'thresholdsHelp_f' : 'thresholdsHelp_m')} required>
                  <Space.Compact style={{ width: '100%' }}>
                    {[0, 1, 2, 3].map((i) => (
                      <Form.Item key={i} name={['rfm', d, 'values', i]} noStyle rules={required}>
                        <InputNumber precision={d === 'm' ? 2 : 0} style={{ width: '25%' }} />
                      </Form.Item>
                    ))}
                  </Space.Compact>
                </Form.Item>
              ) : (
                <Form.Item label=" ">
                  <Typography.Text type="secondary">{t('quintiles')}</Typography.Text>
                </Form.Item>
              )}
            </Col>
          </Row>
        ))}

        <Divider titlePlacement="start">{t('lifecycleSettings')}</Divider>
        <Row gutter={12}>
          <Col span={8}>{whole(['lifecycle', 'newDays'], <Label text={t('lcNewDays')} api="newDays" />)}</Col>
          <Col span={8}>{whole(['lifecycle', 'silentDays'], <Label text={t('lcSilentDays')} api="silentDays" />)}</Col>
          <Col span={8}>{whole(['lifecycle', 'churnedDays'], <Label text={t('lcChurnedDays')} api="churnedDays" />)}</Col>
          <Col span={8}>{whole(['lifecycle', 'loyalMinOrders'], <Label text={t('lcLoyalMinOrders')} api="loyalMinOrders" />)}</Col>
          <Col span={8}>
            <Form.Item
              name={['lifecycle', 'loyalMinSpentYuan']}
              label={<Label text={t('lcLoyalMinSpent')} api="loyalMinSpentFen" />}
              rules={required}
              extra={t('moneyInYuan')}
            >
              <InputNumber precision={2} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>

        <Divider titlePlacement="start">{t('communitySettings')}</Divider>
        <Row gutter={12}>
          <Col span={8}>{whole(['community', 'windowDays'], <Label text={t('cmWindowDays')} api="windowDays" />)}</Col>
          <Col span={8}>{whole(['community', 'activeMinMessages'], <Label text={t('cmActiveMinMessages')} api="activeMinMessages" />)}</Col>
          <Col span={8}>{whole(['community', 'kocMinScore'], <Label text={t('cmKocMinScore')} api="kocMinScore" />)}</Col>
          <Col span={8}>
            <Form.Item
              name={['community', 'kocTopPercent']}
              label={<Label text={t('cmKocTopPercent')} api="kocTopPercent" />}
              rules={required}
              extra={t('cmKocTopPercentHelp')}
            >
              <InputNumber precision={2} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={16}>
            <Form.Item label={<Label text={t('cmWeights')} api="weights" />} required>
              <Space.Compact style={{ width: '100%' }}>
                {(['message', 'reply', 'invite'] as const).map((w) => (
                  <Form.Item key={w} name={['community', 'weights', w]} noStyle rules={required}>
                    <InputNumber precision={0} prefix={t(`cmWeight_${w}`)} style={{ width: '33.4%' }} />
                  </Form.Item>
                ))}
              </Space.Compact>
            </Form.Item>
          </Col>
        </Row>
        {error !== null && <ErrorAlert error={error} testId="settings-error" />}
      </Form>
    </Modal>
  );
}

/** The settings card: the current values, and "Edit" for the modal. */
export function ModelSettingsCard({
  settings,
  lastRun,
  onSaved,
}: {
  settings: ModelSettings;
  lastRun: RfmReport['thresholds'];
  onSaved: (s: ModelSettings) => void;
}) {
  const { workspace } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [editing, setEditing] = useState(false);
  const { rfm, lifecycle, community } = settings.segmentation;
  const money = (fen: number) => formatMoney(fen, workspace.settings.currency ?? 'CNY', locale);
  const v = (testId: string, value: ReactNode) => <span data-testid={testId}>{value}</span>;
  return (
    <Card
      title={t('settingsTitle')}
      size="small"
      data-testid="model-settings"
      extra={
        <Button onClick={() => setEditing(true)} data-testid="edit-settings">
          {t('edit')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary">{t('settingsHelp')}</Typography.Paragraph>
      <Descriptions
        bordered
        size="small"
        column={1}
        items={[
          { key: 'tz', label: t('timeZone'), children: settings.timeZone },
          {
            key: 'rfm',
            label: t('rfmThresholds'),
            children: DIMS.map((d) => {
              const own = rfm.thresholds[d];
              return (
                <div key={d}>
                  <Typography.Text strong>{d.toUpperCase()}</Typography.Text>:{' '}
                  {v(`setting-rfm-${d}`, own ? own.map((x) => (d === 'm' ? money(x) : x)).join(' → ') : t('quintiles'))} · {t('split')}{' '}
                  {v(`setting-split-${d}`, rfm.split[d])}
                </div>
              );
            }),
          },
          {
            key: 'lifecycle',
            label: t('lifecycleSettings'),
            children: (
              <Space wrap size={[16, 0]}>
                <span>
                  {t('lcNewDays')} {v('setting-newDays', lifecycle.newDays)}
                </span>
                <span>
                  {t('lcSilentDays')} {v('setting-silentDays', lifecycle.silentDays)}
                </span>
                <span>
                  {t('lcChurnedDays')} {v('setting-churnedDays', lifecycle.churnedDays)}
                </span>
                <span>
                  {t('lcLoyalMinOrders')} {v('setting-loyalMinOrders', lifecycle.loyalMinOrders)}
                </span>
                <span>
                  {t('lcLoyalMinSpent')} {v('setting-loyalMinSpent', money(lifecycle.loyalMinSpentFen))}
                </span>
              </Space>
            ),
          },
          {
            key: 'community',
            label: t('communitySettings'),
            children: (
              <Space wrap size={[16, 0]}>
                <span>
                  {t('cmWindowDays')} {v('setting-windowDays', community.windowDays)}
                </span>
                <span>
                  {t('cmWeights')} {community.weights.message} / {community.weights.reply} / {community.weights.invite}
                </span>
                <span>
                  {t('cmKocMinScore')} {community.kocMinScore}
                </span>
                <span>
                  {t('cmKocTopPercent')} {community.kocTopPercent}%
                </span>
                <span>
                  {t('cmActiveMinMessages')} {community.activeMinMessages}
                </span>
              </Space>
            ),
          },
        ]}
      />
      {editing && (
        <SettingsModal
          settings={settings}
          lastRun={lastRun}
          onClose={() => setEditing(false)}
          onSaved={(s) => {
            setEditing(false);
            onSaved(s);
            message.success(t('settingsSaved'));
          }}
        />
      )}
    </Card>
  );
}
