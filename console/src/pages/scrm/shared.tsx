/** Pieces the SCRM screens share: loaders, staff and corp-tag pickers, the QR image, date ranges, status tags. */
import { Image, Input, Select, Space, Tag, Typography } from 'antd';
import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import type { CorpTag, Page, ScrmStaff } from '../../api.ts';
import { dictionaries, type MessageKey, useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';

/** A value loaded from the API: `reload` runs the loader again (quietly keeps the old value meanwhile). */
export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Loads `load()` when the deps change. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const ref = useRef(load);
  ref.current = load;
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    ref.current().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** Every page of a cursor-paged list (for pickers: staff, corp tags), up to `max` rows. */
export async function allPages<T>(fetch: (cursor?: string) => Promise<Page<T>>, max = 5000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor);
    out.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && out.length < max);
  return out;
}

/** The workspace's WeCom staff (every page), for pickers and names. */
export function useStaffList(): Loaded<ScrmStaff[]> {
  const { api } = useSession();
  return useLoad(() => allPages((cursor) => api.scrm.staff({ limit: 500, cursor })), [api]);
}

/** The corp's tags (every page), for pickers. */
export function useCorpTags(): Loaded<CorpTag[]> {
  const { api } = useSession();
  return useLoad(() => allPages((cursor) => api.scrm.corpTags(cursor)), [api]);
}

/** `name (userid)` of a staff member. */
export function staffLabel(s: Pick<ScrmStaff, 'name' | 'userid'>): string {
  return s.name && s.name !== s.userid ? `${s.name} (${s.userid})` : s.userid;
}

/** A staff picker over the workspace's staff (active ones unless `includeResigned`). */
export function StaffSelect(props: {
  staff: ScrmStaff[] | undefined;
  value?: string | string[];
  onChange?: (v: string | string[]) => void;
  multiple?: boolean;
  includeResigned?: boolean;
  placeholder?: string;
  testId?: string;
  allowClear?: boolean;
  style?: React.CSSProperties;
}) {
  const { t } = useI18n();
  const options = (props.staff ?? [])
    .filter((s) => props.includeResigned || s.status === 'active')
    .map((s) => ({ value: s.userid, label: staffLabel(s) + (s.status === 'resigned' ? ` · ${t('scrmResigned')}` : '') }));
  return (
    <Select
      mode={props.multiple ? 'multiple' : undefined}
      showSearch={{ optionFilterProp: 'label' }}
      allowClear={props.allowClear}
      loading={!props.staff}
      value={props.value}
      onChange={props.onChange}
      options={options}
      placeholder={props.placeholder ?? t('scrmPickStaff')}
      style={{ minWidth: 200, ...props.style }}
      data-testid={props.testId}
    />
  );
}

/** A corp-tag picker, grouped by tag group. */
export function CorpTagSelect(props: {
  tags: CorpTag[] | undefined;
  value?: string | string[];
  onChange?: (v: string | string[]) => void;
  multiple?: boolean;
  testId?: string;
  allowClear?: boolean;
  style?: React.CSSProperties;
}) {
  const { t } = useI18n();
  const groups = new Map<string, CorpTag[]>();
  for (const tag of props.tags ?? []) groups.set(tag.groupName, [...(groups.get(tag.groupName) ?? []), tag]);
  return (
    <Select
      mode={props.multiple ? 'multiple' : undefined}
      showSearch={{ optionFilterProp: 'label' }}
      allowClear={props.allowClear}
      loading={!props.tags}
      value={props.value}
      onChange={props.onChange}
      placeholder={t('scrmPickCorpTag')}
      options={[...groups].map(([group, tags]) => ({ label: group, options: tags.map((x) => ({ value: x.id, label: x.name })) }))}
      style={{ minWidth: 200, ...props.style }}
      data-testid={props.testId}
    />
  );
}

/**
 * The QR image WeCom made for a contact or join way: WeCom answers the URL of an image it hosts
 * (wework.qpic.cn), which the console shows as it is. Where the browser cannot load it (the local
 * sandbox's made-up URLs, no Internet access), the URL itself is shown to copy.
 */
export function QrImage({ url, testId = 'qr-image' }: { url: string | null; testId?: string }) {
  const { t } = useI18n();
  const [failed, setFailed] = useState(false);
  useEffect(() => setFailed(false), [url]);
  if (!url) return <Typography.Text type="secondary">{t('scrmNoQr')}</Typography.Text>;
  return (
    <Space orientation="vertical" size={4} style={{ maxWidth: 240 }}>
      {failed ? (
        <div
          data-testid={`${testId}-unavailable`}
          style={{
            width: 200,
            height: 200,
            border: '1px dashed #d9d9d9',
            borderRadius: 8,
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'center',
            padding: 12,
            textAlign: 'center',
          }}
        >
          <Typography.Text type="secondary">{t('scrmQrUnavailable')}</Typography.Text>
        </div>
      ) : (
        <Image src={url} width={200} height={200} alt={t('scrmQrAlt')} onError={() => setFailed(true)} data-testid={testId} preview={false} />
      )}
      <Typography.Text copyable={{ text: url }} ellipsis style={{ maxWidth: 220 }} data-testid={`${testId}-url`}>
        <a href={url} target="_blank" rel="noreferrer">
          {t('scrmQrOpen')}
        </a>
      </Typography.Text>
    </Space>
  );
}

/** From / to date inputs. */
export function DateRange({
  value,
  onChange,
  testId = 'range',
}: {
  value: { from: string; to: string };
  onChange: (v: { from: string; to: string }) => void;
  testId?: string;
}) {
  const { t } = useI18n();
  return (
    <Space wrap>
      <span>{t('insFrom')}</span>
      <Input
        type="date"
        value={value.from}
        onChange={(e) => onChange({ ...value, from: e.target.value })}
        data-testid={`${testId}-from`}
        style={{ width: 150 }}
      />
      <span>{t('insTo')}</span>
      <Input type="date" value={value.to} onChange={(e) => onChange({ ...value, to: e.target.value })} data-testid={`${testId}-to`} style={{ width: 150 }} />
    </Space>
  );
}

const COLORS: Record<string, string> = {
  active: 'green',
  ok: 'green',
  done: 'green',
  sent: 'green',
  succeeded: 'green',
  following: 'green',
  current: 'blue',
  waiting: 'gold',
  pending: 'gold',
  sending: 'gold',
  paused: 'default',
  open: 'red',
  failed: 'red',
  expired: 'default',
  full: 'orange',
  dismissed: 'default',
  resigned: 'default',
  archived: 'default',
  acked: 'default',
  skipped: 'default',
};

/** A coloured status tag with the status's text (`scrmStatus_<status>` when the catalogue has it). */
export function StatusTag({ status, testId }: { status: string; testId?: string }) {
  const { t, locale } = useI18n();
  const key = `scrmStatus_${status}`;
  return (
    <Tag color={COLORS[status] ?? 'default'} data-testid={testId}>
      {key in dictionaries[locale] ? t(key as MessageKey) : status}
    </Tag>
  );
}
