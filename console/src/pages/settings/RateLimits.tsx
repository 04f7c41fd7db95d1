/** Settings → Workspace, the rate-limits card: requests a minute per key and per address on the public endpoints (owners change them; the API enforces it). */
import { App as AntApp, Button, Card, InputNumber, Space, Table, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { RateLimitsAnswer, RateLimitsBody } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';

type Limits = RateLimitsAnswer['limits'];
type ClassName = keyof Limits;
const CLASSES: { name: ClassName; label: string }[] = [
  { name: 'tracking', label: 'rateLimitsTracking' },
  { name: 'member', label: 'rateLimitsMember' },
  { name: 'wecomCallback', label: 'rateLimitsWecomCallback' },
  { name: 'surveyPages', label: 'rateLimitsSurveyPages' },
  { name: 'links', label: 'rateLimitsLinks' },
];

/** The per-key limit of a class, when it has one. */
const perKeyOf = (l: Limits, c: ClassName): number | undefined => ('perKey' in l[c] ? (l[c] as { perKey: number }).perKey : undefined);

/** The rate-limits card. */
export function RateLimitsCard() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [answer, setAnswer] = useState<RateLimitsAnswer | null>(null);
  const [draft, setDraft] = useState<Limits | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const owner = role === 'owner';
  const n = (v: number) => v.toLocaleString(locale);

  useEffect(() => {
    api.rateLimits().then(
      (a) => {
        setAnswer(a);
        setDraft(a.limits);
      },
      (err: unknown) => setError(err),
    );
  }, [api]);

  const set = (c: ClassName, field: 'perKey' | 'perIp', v: number | null) =>
    setDraft((d) => (d && v !== null ? ({ ...d, [c]: { ...d[c], [field]: v } } as Limits) : d));

  const save = async (body: RateLimitsBody) => {
    setError(null);
    setSaving(true);
    try {
      const a = await api.updateRateLimits(body);
      setAnswer(a);
      setDraft(a.limits);
      message.success(t('rateLimitsSaved'));
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const number = (c: ClassName, field: 'perKey' | 'perIp', value: number | undefined, fallback: number | undefined) =>
    value === undefined ? (
      <Typography.Text type="secondary">—</Typography.Text>
    ) : (
      <Space orientation="vertical" size={0}>
        <InputNumber
          min={1}
          max={10_000_000}
          precision={0}
          value={value}
          disabled={!owner}
          onChange={(v) => set(c, field, v)}
          style={{ width: 160 }}
          data-testid={`rl-${c}-${field}`}
        />
        {fallback !== undefined && value !== fallback && <Typography.Text type="secondary">{t('rateLimitsDefault', { n: n(fallback) })}</Typography.Text>}
      </Space>
    );

  return (
    <Card title={t('rateLimitsTitle')} data-testid="rate-limits">
      <Typography.Paragraph type="secondary">{t('rateLimitsHelp')}</Typography.Paragraph>
      <ErrorAlert error={error} testId="rl-error" />
      {draft && answer && (
        <>
          <Table
            size="small"
            pagination={false}
            rowKey="name"
            dataSource={CLASSES}
            columns={[
              { title: t('rateLimitsClass'), dataIndex: 'label', render: (label: string) => t(label as 'rateLimitsTracking') },
              {
                title: t('rateLimitsPerKey'),
                key: 'perKey',
                render: (_: unknown, r) => number(r.name, 'perKey', perKeyOf(draft, r.name), perKeyOf(answer.defaults, r.name)),
              },
              {
                title: t('rateLimitsPerIp'),
                key: 'perIp',
                render: (_: unknown, r) => number(r.name, 'perIp', draft[r.name].perIp, answer.defaults[r.name].perIp),
              },
            ]}
          />
          {owner && (
            <Space style={{ marginTop: 16 }}>
              <Button type="primary" loading={saving} onClick={() => save(draft)} data-testid="rl-save">
                {t('save')}
              </Button>
              <Button onClick={() => save({})} disabled={saving} data-testid="rl-reset">
                {t('rateLimitsReset')}
              </Button>
            </Space>
          )}
        </>
      )}
    </Card>
  );
}
