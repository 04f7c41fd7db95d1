/** Pieces shared by the screens: error display, cursor paging, JSON blocks. */
import { Alert, Button, Space, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type Page, ruleProblems } from './api.ts';
import { type Locale, useI18n } from './i18n.ts';
import { errorTexts } from './i18n/errors.ts';

/** An error code's text in the locale with the code beside it, or undefined for a code the console does not know. */
export function localized(code: string, locale: Locale): string | undefined {
  const e = errorTexts[code];
  return e ? `${locale === 'en' ? e.en : e.zh} (${code})` : undefined;
}

/**
 * An API error as an alert: the code and message, and for RULE_INVALID every problem with the
 * JSON path of the bad node (`rule.rules[2].op`) and what was expected there.
 */
export function ErrorAlert({ error, testId }: { error: unknown; testId?: string }) {
  const { t, locale } = useI18n();
  if (!error) return null;
  const problems = ruleProblems(error);
  const api = error instanceof ApiError ? error : undefined;
  const code = api?.code ?? 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  const otherDetails = api?.details !== undefined && problems.length === 0 ? api.details : undefined;
  return (
    <Alert
      type="error"
      showIcon
      data-testid={testId}
      title={localized(code, locale) ?? (code === 'RULE_INVALID' ? t('ruleInvalidTitle', { code }) : t('errorTitle', { code }))}
      description={
        <div>
          {problems.length > 0 ? (
            <>
              <Typography.Paragraph style={{ marginBottom: 4 }}>{t('ruleProblemsN', { n: problems.length })}</Typography.Paragraph>
              <ul style={{ margin: 0, paddingLeft: 20 }} data-testid={testId ? `${testId}-problems` : undefined}>
                {problems.map((p, i) => (
                  <li key={i}>
                    <Typography.Text code data-testid="problem-path">
                      {p.path}
                    </Typography.Text>{' '}
                    <span data-testid="problem-message">{p.message}</span>
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <Typography.Paragraph style={{ marginBottom: 0 }}>{message}</Typography.Paragraph>
          )}
          {otherDetails !== undefined && <JsonBlock value={otherDetails} />}
        </div>
      }
    />
  );
}

/** A JSON value, pretty-printed in a monospace block. */
export function JsonBlock({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <pre
      data-testid={testId}
      style={{ margin: 0, padding: 12, background: 'rgba(0,0,0,0.03)', borderRadius: 6, fontSize: 12, overflow: 'auto', maxHeight: 400 }}
    >
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** State of a cursor-paged list: the API gives `nextCursor`; going back replays the cursors seen. */
export interface CursorPages<T> {
  rows: T[];
  loading: boolean;
  error: unknown;
  /** 1-based page number. */
  page: number;
  hasNext: boolean;
  next(): void;
  prev(): void;
  reload(opts?: { quiet?: boolean }): void;
}

/**
 * Pages through a cursor-paginated endpoint. `fetchPage(cursor)` is called for the current page;
 * a change of `resetKey` (a filter, the page size) goes back to page 1.
 */
export function useCursorPages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, resetKey: string): CursorPages<T> {
  // cursors[i] is the cursor that fetches page i + 1 (undefined for the first page); a new
  // resetKey starts again from page 1.
  const [nav, setNav] = useState<{ key: string; cursors: (string | undefined)[] }>({ key: resetKey, cursors: [undefined] });
  const cursors = nav.key === resetKey ? nav.cursors : [undefined];
  const [state, setState] = useState<{ rows: T[]; nextCursor: string | null; loading: boolean; error: unknown }>({
    rows: [],
    nextCursor: null,
    loading: true,
    error: null,
  });
  const [tick, setTick] = useState(0);
  const quiet = useRef(false);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const cursor = cursors[cursors.length - 1];
  const depth = cursors.length;
  useEffect(() => {
    let live = true;
    if (!quiet.current) setState((s) => ({ ...s, loading: true, error: null }));
    quiet.current = false;
    fetchRef.current(cursor).then(
      (p) => live && setState({ rows: p.data, nextCursor: p.nextCursor, loading: false, error: null }),
      (err: unknown) => live && setState({ rows: [], nextCursor: null, loading: false, error: err }),
    );
    return () => {
      live = false;
    };
  }, [cursor, depth, tick, resetKey]);

  const next = () => {
    if (state.nextCursor) setNav({ key: resetKey, cursors: [...cursors, state.nextCursor] });
  };
  const prev = () => setNav({ key: resetKey, cursors: cursors.length > 1 ? cursors.slice(0, -1) : cursors });
  const reload = useCallback((opts?: { quiet?: boolean }) => {
    quiet.current = !!opts?.quiet;
    setTick((n) => n + 1);
  }, []);
  return { ...state, page: cursors.length, hasNext: !!state.nextCursor, next, prev, reload };
}

/** Previous / page n / next, for a cursor-paged list. */
export function CursorPager({ pages, testId }: { pages: CursorPages<unknown>; testId?: string }) {
  const { t } = useI18n();
  return (
    <Space data-testid={testId} style={{ marginTop: 12 }}>
      <Button size="small" disabled={pages.page <= 1 || pages.loading} onClick={pages.prev} data-testid={testId ? `${testId}-prev` : undefined}>
        {t('prev')}
      </Button>
      <Typography.Text type="secondary">{t('pageN', { n: pages.page })}</Typography.Text>
      <Button size="small" disabled={!pages.hasNext || pages.loading} onClick={pages.next} data-testid={testId ? `${testId}-next` : undefined}>
        {t('next')}
      </Button>
    </Space>
  );
}
