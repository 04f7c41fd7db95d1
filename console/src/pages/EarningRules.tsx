/** The earning rules (GET/POST /v1/loyalty/rules, versions, deactivation): a list at the latest versions and an editor whose definition is the rules API's JSON, validated by the server. */
import { App as AntApp, Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { EarningRule, EarningRuleBody } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';

const KINDS = ['order', 'event', 'birthday', 'checkin'] as const;
type Kind = (typeof KINDS)[number];

/** A starting definition per kind (what the rules API takes). */
const EXAMPLES: Record<Kind, object> = {
  order: { pointsPerYuan: 1, rounding: 'floor', pendingDays: 7, tierMultiplier: true },
  event: { event: 'Review Posted', points: 10, limits: { day: 30 } },
  birthday: { points: 100 },
  checkin: { points: 5, streakBonuses: [{ day: 7, points: 20 }] },
};

interface Fields {
  name: string;
  kind: Kind;
  definition: string;
}

/** The modal that creates a rule, or a rule's next version (same kind). */
function RuleModal({ rule, onClose }: { rule: EarningRule | null; onClose: (saved: boolean) => void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<Fields>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const initial: Fields = rule
    ? { name: rule.name, kind: rule.kind as Kind, definition: JSON.stringify(rule.definition, null, 2) }
    : { name: '', kind: 'order', definition: JSON.stringify(EXAMPLES.order, null, 2) };
  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      const body = { name: v.name.trim(), kind: v.kind, definition: JSON.parse(v.definition) as object } as EarningRuleBody;
      const saved = rule ? await api.loyalty.newRuleVersion(rule.id, body) : await api.loyalty.createRule(body);
      message.success(t('lmRuleSaved', { version: saved.version }));
      onClose(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const validJson = (_: unknown, value: string) => {
    try {
      JSON.parse(value);
      return Promise.resolve();
    } catch {
      return Promise.reject(new Error(t('lmDefinitionInvalid')));
    }
  };
  return (
    <Modal
      open
      title={rule ? `${t('lmNewVersion')}: ${rule.name}` : t('lmNewRule')}
      onCancel={() => onClose(false)}
      onOk={submit}
      confirmLoading={busy}
      okText={t('lmSaveRule')}
      okButtonProps={{ 'data-testid': 'rule-submit' } as Record<`data-${string}`, string>}
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={initial}
        onValuesChange={(changed: Partial<Fields>) => {
          if (changed.kind && !rule) form.setFieldValue('definition', JSON.stringify(EXAMPLES[changed.kind], null, 2));
        }}
      >
        <Form.Item name="name" label={t('lmName')} rules={[{ required: true, whitespace: true }]}>
          <Input maxLength={200} data-testid="rule-name" />
        </Form.Item>
        <Form.Item name="kind" label={t('lmRuleKind')}>
          <Select disabled={rule !== null} data-testid="rule-kind" options={KINDS.map((k) => ({ value: k, label: t(`lmRuleKind_${k}`) }))} />
        </Form.Item>
        <Form.Item name="definition" label={t('lmDefinition')} extra={t('lmDefinitionHelp')} rules={[{ required: true }, { validator: validJson }]}>
          <Input.TextArea rows={8} spellCheck={false} style={{ fontFamily: 'monospace' }} data-testid="rule-definition" />
        </Form.Item>
      </Form>
      <ErrorAlert error={error} testId="rule-error" />
    </Modal>
  );
}

/** The earning rules page. */
export function EarningRulesPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const pages = useCursorPages((cursor) => api.loyalty.rules({ limit: 20, cursor }), 'all');
  const [editing, setEditing] = useState<EarningRule | 'new' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const deactivate = async (id: string) => {
    try {
      await api.loyalty.deactivateRule(id);
      pages.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card
      title={t('lmRulesTitle')}
      extra={
        <Button type="primary" onClick={() => setEditing('new')} data-testid="rule-new">
          {t('lmNewRule')}
        </Button>
      }
    >
      <ErrorAlert error={pages.error ?? error} />
      <div data-testid="rules-table">
        <Table<EarningRule>
          rowKey="id"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          scroll={{ x: true }}
          locale={{ emptyText: t('lmNoRules') }}
          columns={[
            {
              title: t('lmName'),
              dataIndex: 'name',
              render: (v: string) => (
                <span data-testid="rule-row-name" style={{ whiteSpace: 'nowrap' }}>
                  {v}
                </span>
              ),
            },
            { title: t('lmRuleKind'), dataIndex: 'kind', render: (v: Kind) => <Tag>{t(`lmRuleKind_${v}`)}</Tag> },
            { title: t('lmVersion'), dataIndex: 'version' },
            {
              title: t('lmStatus'),
              dataIndex: 'status',
              render: (v: EarningRule['status']) => <Tag color={v === 'active' ? 'green' : undefined}>{t(`lmStatus_${v}`)}</Tag>,
            },
            { title: t('lmDefinition'), dataIndex: 'definition', render: (d: object) => <Typography.Text code>{JSON.stringify(d)}</Typography.Text> },
            { title: t('lmTime'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
            {
              title: '',
              key: 'actions',
              render: (_, r) =>
                r.status === 'active' && (
                  <Space>
                    <Button size="small" onClick={() => setEditing(r)}>
                      {t('lmNewVersion')}
                    </Button>
                    <Popconfirm title={t('lmDeactivate')} onConfirm={() => deactivate(r.id)}>
                      <Button size="small" danger>
                        {t('lmDeactivate')}
                      </Button>
                    </Popconfirm>
                  </Space>
                ),
            },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="rules-pager" />
      {editing && (
        <RuleModal
          rule={editing === 'new' ? null : editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) pages.reload();
          }}
        />
      )}
    </Card>
  );
}
