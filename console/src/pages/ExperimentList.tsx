/** The workspace's experiments: GET /v1/insight/experiments, newest first, paged by cursor. */
import { Badge, Button, Card, Table, Tag } from 'antd';
import type { Experiment } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatTime } from '../format.ts';
import { type I18n, useI18n } from '../i18n.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.ts';

/** The goal of an experiment in words. */
export function goalText(goal: Experiment['goal'], t: I18n['t']): string {
  return t(`goal_${goal.kind}`, { event: goal.event ?? '', days: goal.windowDays });
}

/** The experiments list. */
export function ExperimentListPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const pages = useCursorPages((cursor) => api.listExperiments({ limit: 20, cursor }), 'experiments');
  return (
    <Card title={t('experimentsTitle')} extra={<Button onClick={() => pages.reload()}>{t('refresh')}</Button>}>
      <ErrorAlert error={pages.error} />
      <div data-testid="experiments-table">
        <Table<Experiment>
          rowKey="id"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          locale={{ emptyText: t('noExperiments') }}
          columns={[
            {
              title: t('colName'),
              dataIndex: 'name',
              render: (_, e) => (
                <Link to={`experiments/${encodeURIComponent(e.id)}`} testId="experiment-link">
                  {e.name}
                </Link>
              ),
            },
            {
              title: t('expSubject'),
              dataIndex: 'subject',
              render: (_, e) => (
                <span>
                  <Tag>{t(`subject_${e.subject.kind}`)}</Tag>
                  {e.variants.map((v) => v.key).join(' / ')}
                </span>
              ),
            },
            { title: t('expGoal'), dataIndex: 'goal', render: (_, e) => goalText(e.goal, t) },
            {
              title: t('colStatus'),
              dataIndex: 'status',
              width: 110,
              render: (s: Experiment['status']) => <Badge status={s === 'running' ? 'processing' : 'default'} text={t(`expStatus_${s}`)} />,
            },
            { title: t('expCreated'), dataIndex: 'createdAt', width: 190, render: (v: string) => formatTime(v, locale) },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="experiments-pager" />
    </Card>
  );
}
