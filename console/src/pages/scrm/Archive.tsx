/**
 * The conversation archive (会话存档): search the imported messages (GET /v1/wecom/archive/messages)
 * with the sensitive words each holds highlighted; the sensitive-word alerts the import raised
 * (GET /v1/wecom/alerts?kind=keyword, acknowledge, open the message); and the word list itself
 * (GET/POST/DELETE /v1/wecom/sensitive-words; operators edit it).
 */
import { Button, Card, Form, Input, List, Popconfirm, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { type ReactNode, useMemo, useState } from 'react';
import type { ArchiveMessage, ArchiveQuery, ScrmAlert } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { StaffSelect, StatusTag, useLoad, useStaffList } from './shared.tsx';

/** The text with every sensitive word it holds marked (case-insensitively, as the server matches). */
function Highlighted({ text, words }: { text: string; words: string[] }) {
  if (!words.length) return <>{text}</>;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let i = 0;
  while (i < text.length) {
    let hit: string | undefined;
    for (const w of words) if (lower.startsWith(w, i) && (!hit || w.length > hit.length)) hit = w;
    if (hit) {
      parts.push(
        <mark key={i} data-testid="hit-mark">
          {text.slice(i, i + hit.length)}
        </mark>,
      );
      i += hit.length;
    } else {
      parts.push(text[i]);
      i++;
    }
  }
  return <>{parts}</>;
}

/** The message search. */
function SearchTab({ initial }: { initial: ArchiveQuery }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const staff = useStaffList();
  const [form] = Form.useForm<ArchiveQuery>();
  const [query, setQuery] = useState<ArchiveQuery>(initial);
  const pages = useCursorPages((cursor) => api.scrm.archive({ ...query, limit: 30, cursor }), JSON.stringify(query));
  const clean = (v: ArchiveQuery): ArchiveQuery =>
    Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== '' && x !== null)) as ArchiveQuery;
  return (
    <>
      <Form form={form} layout="inline" style={{ rowGap: 8, marginBottom: 16 }} initialValues={initial} onFinish={(v) => setQuery(clean(v))}>
        <Form.Item name="q">
          <Input allowClear placeholder={t('scrmArchiveText')} style={{ width: 200 }} data-testid="archive-q" />
        </Form.Item>
        <Form.Item name="userid">
          <StaffSelect staff={staff.data} includeResigned allowClear />
        </Form.Item>
        <Form.Item name="externalUserid">
          <Input allowClear placeholder="external_userid" style={{ width: 180 }} />
        </Form.Item>
        <Form.Item name="direction">
          <Select
            allowClear
            placeholder={t('scrmDirection')}
            style={{ width: 140 }}
            options={[
              { value: 'sent', label: t('scrmDirection_sent') },
              { value: 'received', label: t('scrmDirection_received') },
            ]}
          />
        </Form.Item>
        <Form.Item name="from" label={t('insFrom')}>
          <Input type="date" style={{ width: 150 }} />
        </Form.Item>
        <Form.Item name="to" label={t('insTo')}>
          <Input type="date" style={{ width: 150 }} />
        </Form.Item>
        <Form.Item name="msgid" hidden>
          <Input />
        </Form.Item>
        <Form.Item>
          <Space>
            <Button type="primary" htmlType="submit" data-testid="archive-search">
              {t('scrmSearch')}
            </Button>
            {query.msgid && (
              <Button
                onClick={() => {
                  form.setFieldValue('msgid', undefined);
                  setQuery(clean({ ...query, msgid: undefined }));
                }}
              >
                {t('scrmClearMessage')}
              </Button>
            )}
          </Space>
        </Form.Item>
      </Form>
      <ErrorAlert error={pages.error} />
      <List<ArchiveMessage>
        loading={pages.loading}
        dataSource={pages.rows}
        locale={{ emptyText: t('scrmNoMessages') }}
        data-testid="archive-results"
        renderItem={(m) => (
          <List.Item key={`${m.msgid}|${m.externalUserid}`} data-testid="archive-message">
            <List.Item.Meta
              title={
                <Space wrap size={4}>
                  <Tag color={m.direction === 'sent' ? 'blue' : 'green'}>{t(m.direction === 'sent' ? 'scrmDirection_sent' : 'scrmDirection_received')}</Tag>
                  <span>{m.staffName ?? m.userid ?? '—'}</span>
                  <span>{m.direction === 'sent' ? '→' : '←'}</span>
                  <Link to={`customers/${encodeURIComponent(m.profileId)}`}>{m.customerName || m.externalUserid}</Link>
                  {m.roomid && <Tag>{t('scrmInGroup')}</Tag>}
                  <Typography.Text type="secondary">{formatTime(m.at, locale)}</Typography.Text>
                  {m.hits.map((w) => (
                    <Tag key={w} color="red" data-testid="hit-word">
                      {w}
                    </Tag>
                  ))}
                </Space>
              }
              description={
                <Typography.Text style={{ whiteSpace: 'pre-wrap' }}>
                  <Highlighted text={m.content} words={m.hits} />
                </Typography.Text>
              }
            />
          </List.Item>
        )}
      />
      <CursorPager pages={pages} testId="archive-pager" />
    </>
  );
}

/** Sensitive-word alerts. */
function HitsTab({ onOpen }: { onOpen: (msgid: string) => void }) {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const [status, setStatus] = useState<'open' | 'acked' | undefined>('open');
  const [error, setError] = useState<unknown>(null);
  const pages = useCursorPages((cursor) => api.scrm.alerts({ kind: 'keyword', status, limit: 50, cursor }), String(status));
  const ack = async (a: ScrmAlert) => {
    try {
      await api.scrm.ackAlert(a.id);
      pages.reload({ quiet: true });
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <Select
        allowClear
        value={status}
        onChange={setStatus}
        placeholder={t('colStatus')}
        style={{ width: 140, marginBottom: 12 }}
        options={[
          { value: 'open', label: t('scrmStatus_open') },
          { value: 'acked', label: t('scrmStatus_acked') },
        ]}
      />
      <ErrorAlert error={error ?? pages.error} />
      <Table<ScrmAlert>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        locale={{ emptyText: t('scrmNoHits') }}
        data-testid="hits-table"
        columns={[
          { title: t('scrmAlertAt'), dataIndex: 'at', render: (v: string) => formatTime(v, locale) },
          { title: t('scrmWord'), dataIndex: 'word', render: (w: string | null) => <Tag color="red">{w}</Tag> },
          { title: t('scrmExcerpt'), dataIndex: 'excerpt', render: (e: string | null, a) => <Highlighted text={e ?? ''} words={a.word ? [a.word] : []} /> },
          { title: t('scrmStaffCol'), dataIndex: 'userid', render: (u: string | null) => u ?? '—' },
          { title: t('scrmCustomer'), key: 'c', render: (_, a) => a.customerName ?? a.externalUserid ?? '—' },
          { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          {
            title: '',
            key: 'actions',
            render: (_, a) => (
              <Space>
                {a.msgid && (
                  <Button size="small" onClick={() => onOpen(a.msgid!)}>
                    {t('scrmShowMessage')}
                  </Button>
                )}
                {canChange(role) && a.status === 'open' && (
                  <Button size="small" onClick={() => ack(a)}>
                    {t('scrmAck')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <CursorPager pages={pages} />
    </>
  );
}

/** The sensitive-word list. */
function WordsTab() {
  const { api, role } = useSession();
  const { t } = useI18n();
  const words = useLoad(() => api.scrm.sensitiveWords(), [api]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      words.reload();
    } catch (err) {
      setError(err);
    }
  };
  const add = () => {
    const list = draft
      .split(/[,，\n]/)
      .map((w) => w.trim())
      .filter(Boolean);
    if (list.length) void run(() => api.scrm.addSensitiveWords(list)).then(() => setDraft(''));
  };
  return (
    <>
      <Typography.Paragraph type="secondary">{t('scrmWordsHelp')}</Typography.Paragraph>
      {canChange(role) && (
        <Space.Compact style={{ maxWidth: 480, width: '100%', marginBottom: 12 }}>
          <Input
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onPressEnter={add}
            placeholder={t('scrmWordsPlaceholder')}
            data-testid="words-input"
          />
          <Button type="primary" onClick={add} data-testid="words-add">
            {t('scrmAdd')}
          </Button>
        </Space.Compact>
      )}
      <ErrorAlert error={error ?? words.error} />
      <div data-testid="words-list">
        {(words.data?.data ?? []).length === 0 && !words.loading && <Typography.Text type="secondary">{t('scrmNoWords')}</Typography.Text>}
        <Space wrap>
          {(words.data?.data ?? []).map((w) =>
            canChange(role) ? (
              <Popconfirm key={w.id} title={t('scrmRemoveWordConfirm', { word: w.word })} onConfirm={() => run(() => api.scrm.deleteSensitiveWord(w.id))}>
                <Tag closable onClose={(e) => e.preventDefault()}>
                  {w.word}
                </Tag>
              </Popconfirm>
            ) : (
              <Tag key={w.id}>{w.word}</Tag>
            ),
          )}
        </Space>
      </div>
    </>
  );
}

/** The archive screen. */
export function ArchivePage() {
  const { t } = useI18n();
  const [tab, setTab] = useState('search');
  const [msgid, setMsgid] = useState<string | undefined>();
  const initial = useMemo<ArchiveQuery>(() => (msgid ? { msgid } : {}), [msgid]);
  return (
    <Card title={t('scrmArchiveTitle')}>
      <Typography.Paragraph type="secondary">{t('scrmArchiveHelp')}</Typography.Paragraph>
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          { key: 'search', label: t('scrmArchiveSearch'), children: <SearchTab key={msgid ?? ''} initial={initial} /> },
          {
            key: 'hits',
            label: t('scrmArchiveHits'),
            children: (
              <HitsTab
                onOpen={(id) => {
                  setMsgid(id);
                  setTab('search');
                }}
              />
            ),
          },
          { key: 'words', label: t('scrmArchiveWords'), children: <WordsTab /> },
        ]}
      />
    </Card>
  );
}
