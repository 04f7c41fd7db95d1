/**
 * One survey's report: NPS, CSAT and CES with their counts, the trend by day, week or month (the
 * workspace's time zone), the breakdown by touchpoint, a segment filter, the verbatims with text,
 * tag and category search, and a signed answer link for one profile.
 */
import { App as AntApp, Button, Card, Col, Input, Row, Segmented, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { Survey, SurveyReport, Verbatim } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatTime } from '../format.ts';
import { type MessageKey, useI18n } from '../i18n.ts';
import { navigate } from '../router.tsx';
import { useSession } from '../session.ts';
import { TrendChart } from './TrendChart.tsx';

type Interval = 'day' | 'week' | 'month';
type Category = 'promoter' | 'passive' | 'detractor';

function ScoreCards({ report }: { report: SurveyReport }) {
  const { t } = useI18n();
  const { nps, csat, ces } = report.totals;
  return (
    <Row gutter={16} style={{ marginBottom: 16 }}>
      <Col span={6}>
        <Statistic title={t('svResponses')} value={report.totals.responses} />
      </Col>
      <Col span={6} data-testid="score-nps">
        <Statistic title={t('svNps')} value={nps ? nps.score : t('svNoScore')} />
        {nps && <Typography.Text type="secondary">{t('svNpsDetail', { p: nps.promoters, pa: nps.passives, d: nps.detractors })}</Typography.Text>}
      </Col>
      <Col span={6} data-testid="score-csat">
        <Statistic title={t('svCsat')} value={csat ? csat.score : t('svNoScore')} suffix={csat ? '%' : undefined} />
        {csat && <Typography.Text type="secondary">{t('svCsatDetail', { s: csat.satisfied, n: csat.n })}</Typography.Text>}
      </Col>
      <Col span={6} data-testid="score-ces">
        <Statistic title={t('svCes')} value={ces ? ces.average : t('svNoScore')} />
        {ces && <Typography.Text type="secondary">{t('svCesDetail', { share: ces.easyShare })}</Typography.Text>}
      </Col>
    </Row>
  );
}

function Verbatims({ surveyId }: { surveyId: string }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [tag, setTag] = useState<string | undefined>();
  const [category, setCategory] = useState<Category | undefined>();
  const pages = useCursorPages(
    (cursor) => api.verbatims(surveyId, { q: search || undefined, tag, category, limit: 20, cursor }),
    `${search}|${tag}|${category}`,
  );
  return (
    <Card title={t('svVerbatims')} style={{ marginTop: 16 }}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onSearch={setSearch}
          placeholder={t('svSearch')}
          allowClear
          data-testid="verbatim-search"
        />
        <Input placeholder={t('svTag')} allowClear style={{ width: 140 }} onChange={(e) => setTag(e.target.value.trim() || undefined)} />
        <Select<Category>
          allowClear
          placeholder={t('svCategory')}
          style={{ width: 150 }}
          onChange={(v) => setCategory(v)}
          options={(['promoter', 'passive', 'detractor'] as const).map((c) => ({ value: c, label: t(`svCat_${c}`) }))}
        />
      </Space>
      <ErrorAlert error={pages.error} />
      <Table<Verbatim>
        rowKey="answerId"
        size="small"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        locale={{ emptyText: t('svNoVerbatims') }}
        data-testid="verbatims-table"
        columns={[
          { title: t('svText'), dataIndex: 'text', render: (v: string) => <span data-testid="verbatim-text">{v}</span> },
          { title: t('svTag'), dataIndex: 'tags', width: 180, render: (tags: string[]) => tags.map((x) => <Tag key={x}>{x}</Tag>) },
          { title: t('svScore'), width: 80, render: (_, v) => v.nps ?? v.csat ?? v.ces ?? '—' },
          { title: t('svAnswered'), dataIndex: 'answeredAt', width: 180, render: (v: string) => formatTime(v, locale) },
        ]}
      />
      <CursorPager pages={pages} />
    </Card>
  );
}

function LinkMaker({ survey }: { survey: Survey }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const [ref, setRef] = useState('');
  const [made, setMade] = useState<{ href: string; at: string } | undefined>();
  const [error, setError] = useState<unknown>(null);
  const make = () =>
    api
      .surveyLink(survey.id, { profile: ref.trim() })
      .then((l) => (setMade({ href: l.url ?? new URL(l.path, window.location.origin).toString(), at: l.expiresAt }), setError(null)), setError);
  return (
    <Card title={t('svMakeLink')} size="small" style={{ marginTop: 16 }}>
      <Space.Compact style={{ width: '100%', maxWidth: 560 }}>
        <Input value={ref} onChange={(e) => setRef(e.target.value)} placeholder={t('svProfileRef')} data-testid="link-profile" />
        <Button onClick={make} disabled={!ref.trim()} data-testid="make-link">
          {t('svGenerate')}
        </Button>
      </Space.Compact>
      <ErrorAlert error={error} />
      {made && (
        <Typography.Paragraph style={{ marginTop: 8 }}>
          {t('svLinkMade', { at: formatTime(made.at, locale) })}:{' '}
          <Typography.Link href={made.href} target="_blank" copyable data-testid="survey-url">
            {made.href}
          </Typography.Link>
        </Typography.Paragraph>
      )}
    </Card>
  );
}

/** The report screen of one survey. */
export function SurveyReportPage({ id }: { id: string }) {
  const { api } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [survey, setSurvey] = useState<Survey | undefined>();
  const [report, setReport] = useState<SurveyReport | undefined>();
  const [interval, setInterval] = useState<Interval>('day');
  const [segmentId, setSegmentId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    api.getSurvey(id).then(setSurvey, setError);
  }, [api, id, tick]);
  useEffect(() => {
    api.surveyReport(id, { interval, segmentId: segmentId.trim() || undefined }).then((r) => (setReport(r), setError(null)), setError);
  }, [api, id, interval, segmentId, tick]);

  const archive = () => api.archiveSurvey(id).then(() => (message.success(t('svArchived')), setTick((n) => n + 1)), setError);
  const points = (report?.trend ?? []).map((p) => ({ period: p.period, value: p.nps?.score ?? null }));
  const csatPoints = (report?.trend ?? []).map((p) => ({ period: p.period, value: p.csat?.score ?? null }));
  return (
    <>
      <Card
        title={t('svReportTitle', { name: survey?.name ?? id })}
        extra={
          <Space>
            <Button onClick={() => setTick((n) => n + 1)} data-testid="report-refresh">
              {t('refresh')}
            </Button>
            <Button onClick={() => navigate(`surveys/${encodeURIComponent(id)}/edit`)} disabled={survey?.status === 'archived'}>
              {t('svEdit')}
            </Button>
            <Button danger onClick={archive} disabled={survey?.status !== 'active'}>
              {t('svArchive')}
            </Button>
          </Space>
        }
      >
        <ErrorAlert error={error} />
        {report && <ScoreCards report={report} />}
        <Space wrap style={{ marginBottom: 12 }}>
          <span>{t('svInterval')}</span>
          <Segmented<Interval>
            value={interval}
            onChange={setInterval}
            options={(['day', 'week', 'month'] as const).map((v) => ({ value: v, label: t(v === 'day' ? 'svDay' : v === 'week' ? 'svWeek' : 'svMonth') }))}
          />
          <Input style={{ width: 260 }} placeholder={t('svSegment')} value={segmentId} onChange={(e) => setSegmentId(e.target.value)} allowClear />
        </Space>
        {points.length === 0 ? (
          <Typography.Paragraph type="secondary">{t('svNoTrend')}</Typography.Paragraph>
        ) : (
          <Row gutter={16}>
            <Col span={12}>
              <Typography.Text strong>{t('svNps')}</Typography.Text>
              <TrendChart points={points} min={-100} max={100} testId="nps-trend" />
            </Col>
            <Col span={12}>
              <Typography.Text strong>{t('svCsat')} %</Typography.Text>
              <TrendChart points={csatPoints} min={0} max={100} color="#52c41a" />
            </Col>
          </Row>
        )}
        <Typography.Title level={5} style={{ marginTop: 16 }}>
          {t('svByTouchpoint')}
        </Typography.Title>
        <Table
          rowKey={(r) => `${r.kind}:${r.id}`}
          size="small"
          pagination={false}
          dataSource={report?.byTouchpoint ?? []}
          columns={[
            { title: t('svTouchpoint'), render: (_, r) => `${t(`svTp_${r.kind}` as MessageKey)}${r.id ? ` · ${r.id}` : ''}` },
            { title: t('svResponses'), dataIndex: 'responses', width: 100, align: 'right' },
            { title: t('svNps'), width: 100, align: 'right', render: (_, r) => r.nps?.score ?? '—' },
            { title: `${t('svCsat')} %`, width: 120, align: 'right', render: (_, r) => r.csat?.score ?? '—' },
            { title: t('svCes'), width: 110, align: 'right', render: (_, r) => r.ces?.average ?? '—' },
          ]}
        />
      </Card>
      {survey && <LinkMaker survey={survey} />}
      <Verbatims surveyId={id} />
    </>
  );
}
