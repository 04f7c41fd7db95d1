/**
 * One broadcast: what it sends to whom, its fan-out progress, and its results (GET
 * /v1/broadcasts/:id/stats: audience, what became of the messages and why, conversion against the
 * holdout), refreshed every 2 seconds while it is sending or messages are on their way. Actions by
 * status: send now, schedule, cancel, delete a draft, and a test send to a few profiles.
 */
import { App as AntApp, Button, Card, Col, Descriptions, Input, Progress, Row, Space, Statistic, Table, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { Broadcast, BroadcastStats, BroadcastTestAnswer } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatCount, formatShare, formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link, navigate } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { localInputToIso } from './BroadcastNew.tsx';
import { fanoutPercent } from './BroadcastList.tsx';
import { useSegmentNames } from './segments.ts';
import { BroadcastStatusTag, useChannelLabel } from './shared.tsx';

/** The message counters shown, in the order a message goes through them. */
const COUNTERS = ['total', 'queued', 'held', 'sending', 'sent', 'delivered', 'opened', 'clicked', 'suppressed', 'failed', 'unknown'] as const;

/** The results: audience, messages, reasons, conversion. */
function Results({ stats }: { stats: BroadcastStats }) {
  const { t, locale } = useI18n();
  const reasons = Object.entries(stats.messages.reasons).flatMap(([status, byReason]) =>
    Object.entries(byReason).map(([reason, n]) => ({ key: `${status}:${reason}`, status, reason, n })),
  );
  const c = stats.conversion;
  const rate = (r: number | null) => (r === null ? '—' : formatShare(r));
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }} data-testid="broadcast-results">
      <Card size="small" title={t('msgAudience')}>
        <Row gutter={[16, 16]}>
          {(['total', 'enqueued', 'holdout', 'excluded'] as const).map((k) => (
            <Col key={k} xs={12} md={6}>
              <Statistic title={t(`msgAudience_${k}`)} value={stats.audience[k] ?? '—'} data-testid={`audience-${k}`} />
            </Col>
          ))}
        </Row>
      </Card>
      <Card size="small" title={t('msgMessages')}>
        <Row gutter={[16, 16]}>
          {COUNTERS.map((k) => (
            <Col key={k} xs={8} md={4}>
              <Statistic title={t(`msgCount_${k}`)} value={formatCount(stats.messages[k], locale)} data-testid={`count-${k}`} />
            </Col>
          ))}
        </Row>
        {reasons.length > 0 && (
          <Table
            size="small"
            style={{ marginTop: 16 }}
            pagination={false}
            dataSource={reasons}
            data-testid="broadcast-reasons"
            columns={[
              {
                title: t('colStatus'),
                dataIndex: 'status',
                render: (s: string) => ((COUNTERS as readonly string[]).includes(s) ? t(`msgCount_${s as (typeof COUNTERS)[number]}`) : s),
              },
              { title: t('colReason'), dataIndex: 'reason', render: (r: string) => <Typography.Text code>{r}</Typography.Text> },
              { title: t('colCount'), dataIndex: 'n', align: 'right' },
            ]}
          />
        )}
      </Card>
      {c && (
        <Card
          size="small"
          title={t('msgConversion', { event: c.goalEvent, days: c.windowDays })}
          extra={c.open && <Typography.Text type="secondary">{t('msgWindowOpen')}</Typography.Text>}
        >
          <Row gutter={[16, 16]}>
            {(['targeted', 'reached', 'holdout'] as const).map((g) => (
              <Col key={g} xs={12} md={6}>
                <Statistic
                  title={t(`msgGroup_${g}`)}
                  value={rate(c[g].rate)}
                  suffix={<Typography.Text type="secondary" style={{ fontSize: 12 }}>{`${c[g].converted}/${c[g].profiles}`}</Typography.Text>}
                />
              </Col>
            ))}
            <Col xs={12} md={6}>
              <Statistic title={t('colLift')} value={c.lift === null ? '—' : `${c.lift >= 0 ? '+' : ''}${formatShare(c.lift)}`} />
            </Col>
          </Row>
        </Card>
      )}
    </Space>
  );
}

/** A test send to a few profiles: each recipient's message and what the guardrails would do to a real send. */
function TestSend({ id }: { id: string }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [refs, setRefs] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [answer, setAnswer] = useState<BroadcastTestAnswer | null>(null);
  const send = async () => {
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      setAnswer(await api.testBroadcast(id, { profiles: refs.split(/[\s,，]+/).filter(Boolean) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card size="small" title={t('msgTestBroadcast')}>
      <Typography.Paragraph type="secondary">{t('msgTestBroadcastHelp')}</Typography.Paragraph>
      <Space.Compact style={{ width: '100%', maxWidth: 560 }}>
        <Input value={refs} onChange={(e) => setRefs(e.target.value)} placeholder="user_id:42, phone:13800138000" data-testid="bc-test-profiles" />
        <Button onClick={send} loading={busy} disabled={!refs.trim()} data-testid="bc-test-send">
          {t('msgSendTest')}
        </Button>
      </Space.Compact>
      <div style={{ marginTop: 12 }}>
        <ErrorAlert error={error} />
        {answer && (
          <Table
            size="small"
            rowKey="messageId"
            pagination={false}
            dataSource={answer.messages}
            data-testid="bc-test-result"
            columns={[
              { title: t('colProfile'), dataIndex: 'profileId', render: (p: string) => <Link to={`customers/${encodeURIComponent(p)}`}>{p}</Link> },
              { title: t('msgMessageId'), dataIndex: 'messageId' },
              { title: t('colStatus'), dataIndex: 'status' },
              {
                title: t('msgGuardrailNotes'),
                key: 'g',
                render: (_, m) => (m.guardrails.length ? m.guardrails.map((g) => <div key={g.code}>{g.message}</div>) : t('none')),
              },
            ]}
          />
        )}
      </div>
    </Card>
  );
}

/** The broadcast detail screen. */
export function BroadcastDetailPage({ id }: { id: string }) {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message, modal } = AntApp.useApp();
  const channelLabel = useChannelLabel();
  const [b, setB] = useState<Broadcast | null>(null);
  const [stats, setStats] = useState<BroadcastStats | null>(null);
  const [templateName, setTemplateName] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [sendAt, setSendAt] = useState('');
  const names = useSegmentNames(b ? [b.segmentId, ...(b.excludeSegmentId ? [b.excludeSegmentId] : [])] : []);

  const load = useCallback(async () => {
    try {
      const [next, s] = await Promise.all([api.getBroadcast(id), api.broadcastStats(id)]);
      setB(next);
      setStats(s);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [api, id]);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (!b?.templateId) return;
    api.getTemplate(b.templateId).then(
      (tpl) => setTemplateName(tpl.name),
      () => setTemplateName(null),
    );
  }, [api, b?.templateId]);
  const moving = !!b && !!stats && (b.status === 'sending' || stats.messages.queued + stats.messages.sending > 0);
  useEffect(() => {
    if (!moving) return;
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [moving, load]);

  const act = async (run: () => Promise<unknown>, done: string) => {
    setActionError(null);
    try {
      await run();
      message.success(done);
      await load();
    } catch (err) {
      setActionError(err);
    }
  };
  const confirm = (title: string, run: () => Promise<unknown>, done: string) => modal.confirm({ title, onOk: () => act(run, done) });

  if (error && !b) return <ErrorAlert error={error} />;
  if (!b || !stats) return <Card loading />;
  const change = canChange(role);
  const editable = b.status === 'draft' || b.status === 'scheduled';
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Card
        title={
          <Space wrap>
            <span data-testid="broadcast-name">{b.name}</span>
            <BroadcastStatusTag status={b.status} />
          </Space>
        }
        extra={
          <Button onClick={() => void load()} data-testid="broadcast-refresh">
            {t('refresh')}
          </Button>
        }
      >
        <ErrorAlert error={error} />
        <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
          <Descriptions.Item label={t('msgChannel')}>{channelLabel(b.channel)}</Descriptions.Item>
          <Descriptions.Item label={t('msgTemplate')}>
            {b.templateId ? <Link to={`messages/templates/${encodeURIComponent(b.templateId)}`}>{templateName ?? b.templateId}</Link> : t('msgInlineContent')}
            {b.templateVersion !== null && ` · ${t('versionN', { n: b.templateVersion })}`}
          </Descriptions.Item>
          <Descriptions.Item label={t('msgPurpose')}>{t(`msgPurpose_${b.purpose as 'marketing'}`)}</Descriptions.Item>
          <Descriptions.Item label={t('msgAudienceSegment')}>
            <Link to={`segments/${encodeURIComponent(b.segmentId)}`}>{names[b.segmentId] ?? b.segmentId}</Link>
          </Descriptions.Item>
          {b.excludeSegmentId && <Descriptions.Item label={t('msgExcludeSegment')}>{names[b.excludeSegmentId] ?? b.excludeSegmentId}</Descriptions.Item>}
          <Descriptions.Item label={t('msgHoldout')}>{b.holdoutPercent}%</Descriptions.Item>
          {b.goalEvent && <Descriptions.Item label={t('msgGoalEvent')}>{t('msgGoalWithin', { event: b.goalEvent, days: b.goalDays })}</Descriptions.Item>}
          <Descriptions.Item label={t('msgSendAt')}>{formatTime(b.sendAt, locale)}</Descriptions.Item>
          <Descriptions.Item label={t('msgStartedAt')}>{formatTime(b.startedAt, locale)}</Descriptions.Item>
          <Descriptions.Item label={t('msgFinishedAt')}>{formatTime(b.finishedAt ?? b.cancelledAt, locale)}</Descriptions.Item>
          {b.description && <Descriptions.Item label={t('description')}>{b.description}</Descriptions.Item>}
        </Descriptions>
        {b.error && (
          <Typography.Paragraph type="danger" style={{ marginTop: 12 }} data-testid="broadcast-error">
            {b.error}
            {b.retryAt && ` · ${t('msgRetryAt', { at: formatTime(b.retryAt, locale) })}`}
          </Typography.Paragraph>
        )}
        {b.status === 'sending' && (
          <div style={{ marginTop: 12 }}>
            <Typography.Text>{t('msgFanout')}</Typography.Text>
            <Progress percent={fanoutPercent(b)} status="active" data-testid="broadcast-progress" />
          </div>
        )}
        {change && (
          <Space wrap style={{ marginTop: 16 }}>
            {editable && (
              <Button
                type="primary"
                onClick={() => confirm(t('msgSendNowConfirm'), () => api.broadcastAction(id, 'send-now'), t('msgSendNowDone'))}
                data-testid="bc-send-now"
              >
                {t('msgWhen_now')}
              </Button>
            )}
            {editable && (
              <Space.Compact>
                <Input type="datetime-local" value={sendAt} onChange={(e) => setSendAt(e.target.value)} data-testid="bc-detail-send-at" />
                <Button disabled={!localInputToIso(sendAt)} onClick={() => act(() => api.scheduleBroadcast(id, localInputToIso(sendAt)), t('msgScheduled'))}>
                  {t('msgWhen_schedule')}
                </Button>
              </Space.Compact>
            )}
            {(editable || b.status === 'sending') && (
              <Button danger onClick={() => confirm(t('msgCancelConfirm'), () => api.broadcastAction(id, 'cancel'), t('msgCancelled'))} data-testid="bc-cancel">
                {t('msgCancelBroadcast')}
              </Button>
            )}
            {b.status === 'draft' && (
              <Button
                danger
                type="text"
                onClick={() =>
                  modal.confirm({
                    title: t('msgDeleteDraftConfirm'),
                    onOk: async () => {
                      try {
                        await api.deleteBroadcast(id);
                        message.success(t('msgDeleted'));
                        navigate('messages/broadcasts');
                      } catch (err) {
                        setActionError(err);
                      }
                    },
                  })
                }
              >
                {t('msgDeleteDraft')}
              </Button>
            )}
          </Space>
        )}
        <div style={{ marginTop: 12 }}>
          <ErrorAlert error={actionError} testId="bc-action-error" />
        </div>
      </Card>
      <Results stats={stats} />
      {change && <TestSend id={id} />}
    </Space>
  );
}
