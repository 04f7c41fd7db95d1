/** Pieces the messaging screens share: template problems, the profile picker, channel and status labels. */
import { Alert, Select, Space, Tag, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { ApiError, type BroadcastStatus, type ChannelName, type ProfileSummary } from '../../api.ts';
import { ErrorAlert, localized } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';
import { displayName, keyIdentifiers } from '../customers/identifiers.ts';

/** One problem of a TEMPLATE_INVALID or TEMPLATE_RENDER_FAILED answer (`details.problems`). */
export interface TemplateProblem {
  path: string;
  line?: number;
  column?: number;
  message: string;
}

/** The template problems of an error, read as the free-form error details they are. */
export function templateProblems(err: unknown): { problems: TemplateProblem[]; limit?: string } {
  if (!(err instanceof ApiError) || !err.details || typeof err.details !== 'object') return { problems: [] };
  const d = err.details as { problems?: unknown; limit?: unknown };
  const problems = Array.isArray(d.problems)
    ? d.problems.filter((p): p is TemplateProblem => !!p && typeof p === 'object' && typeof p.path === 'string' && typeof p.message === 'string')
    : [];
  return { problems, ...(typeof d.limit === 'string' ? { limit: d.limit } : {}) };
}

/**
 * An API error of a template: for TEMPLATE_INVALID (saving) and TEMPLATE_RENDER_FAILED (preview)
 * every problem with its field, line and column; any other error as the console's usual alert.
 */
export function TemplateErrorAlert({ error, testId }: { error: unknown; testId?: string }) {
  const { t, locale } = useI18n();
  const { problems, limit } = templateProblems(error);
  if (!error) return null;
  if (!problems.length || !(error instanceof ApiError)) return <ErrorAlert error={error} testId={testId} />;
  return (
    <Alert
      type="error"
      showIcon
      data-testid={testId}
      title={localized(error.code, locale) ?? t('errorTitle', { code: error.code })}
      description={
        <div>
          {limit && <Typography.Paragraph style={{ marginBottom: 4 }}>{t(limit === 'time' ? 'msgLimitTime' : 'msgLimitOutput')}</Typography.Paragraph>}
          <ul style={{ margin: 0, paddingLeft: 20 }} data-testid={testId ? `${testId}-problems` : undefined}>
            {problems.map((p, i) => (
              <li key={i}>
                <Typography.Text code data-testid="problem-path">
                  {p.path}
                </Typography.Text>{' '}
                {p.line !== undefined && (
                  <Typography.Text type="secondary" data-testid="problem-position">
                    {t('msgLineColumn', { line: p.line, column: p.column ?? 0 })}
                  </Typography.Text>
                )}{' '}
                <span data-testid="problem-message">{p.message}</span>
              </li>
            ))}
          </ul>
        </div>
      }
    />
  );
}

/** A profile chosen by search over any identifier or name (GET /v1/profiles?q=): its id, with its name and key identifiers shown. */
export function ProfilePicker(props: { value?: string; onChange: (id: string | undefined) => void; testId?: string; style?: React.CSSProperties }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [options, setOptions] = useState<ProfileSummary[]>([]);
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  const search = (q: string) => {
    const n = ++seq.current;
    setSearching(true);
    api.profiles({ limit: 10, ...(q.trim() ? { q: q.trim() } : {}) }).then(
      (p) => n === seq.current && (setOptions(p.data), setError(null), setSearching(false)),
      (err: unknown) => n === seq.current && (setOptions([]), setError(err), setSearching(false)),
    );
  };
  // The most recent profiles first, before anything is typed.
  useEffect(() => search(''), []);
  return (
    <Space orientation="vertical" style={{ width: '100%', ...props.style }}>
      <Select<string>
        showSearch={{ filterOption: false, onSearch: search }}
        allowClear
        value={props.value}
        onChange={(v) => props.onChange(v)}
        loading={searching}
        placeholder={t('msgPickProfile')}
        notFoundContent={searching ? t('loading') : t('msgNoProfileFound')}
        style={{ width: '100%' }}
        data-testid={props.testId}
        options={options.map((p) => ({
          value: p.id,
          label: (
            <span data-testid="profile-option">
              {displayName(p)}{' '}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {keyIdentifiers(p, 2)
                  .map((i) => `${i.type}:${i.value}`)
                  .join(' · ')}
              </Typography.Text>
            </span>
          ),
        }))}
      />
      <ErrorAlert error={error} />
    </Space>
  );
}

/** A channel's name in the operator's language (a name the console does not know is shown as it is). */
export function useChannelLabel(): (ch: string) => string {
  const { t } = useI18n();
  return (ch) => (CHANNEL_NAMES.includes(ch as ChannelName) ? t(`msgChannel_${ch as ChannelName}`) : ch);
}

/** Every channel name; the type check fails if the API's list has one more (the record must cover ChannelName). */
const CHANNEL_NAMES = Object.keys({ wecom: 1, wecom_group: 1, wechat_oa: 1, miniprogram: 1, sms: 1, email: 1, webhook: 1 } satisfies Record<ChannelName, 1>);

/** A broadcast's status as a coloured tag. */
export function BroadcastStatusTag({ status }: { status: BroadcastStatus }) {
  const { t } = useI18n();
  const color = { draft: 'default', scheduled: 'blue', sending: 'processing', sent: 'success', cancelled: 'warning', failed: 'error' }[status];
  return (
    <Tag color={color} data-testid="broadcast-status">
      {t(`msgBroadcastStatus_${status}`)}
    </Tag>
  );
}
