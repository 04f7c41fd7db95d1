/** The workspace's surveys: GET /v1/insight/surveys, filtered by status, paged by cursor. */
import { Badge, Button, Card, Segmented, Space, Table } from 'antd';
import { useState } from 'react';
import type { Survey } from '../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../components.tsx';
import { formatTime } from '../format.ts';
import { useI18n } from '../i18n.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.ts';

type Status = 'active' | 'archived';

/** The survey list. */
export function SurveyListPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const [status, setStatus] = useState<Status>('active');
  const pages = useCursorPages((cursor) => api.listSurveys({ status, limit: 20, cursor }), status);
  return (
    <Card
      title={t('svTitle')}
      extra={
        <Space>
          <Button onClick={() => pages.reload()}>{t('refresh')}</Button>
          <Button type="primary" onClick={() => navigate('surveys/new')} data-testid="new-survey">
            {t('svNew')}
          </Button>
        </Space>
      }
    >
      <Segmented<Status>
        style={{ marginBottom: 16 }}
        value={status}
        onChange={setStatus}
        options={[
          { value: 'active', label: t('filterActive') },
          { value: 'archived', label: t('filterArchived') },
        ]}
      />
      <ErrorAlert error={pages.error} />
      <div data-testid="surveys-table">
        <Table<Survey>
          rowKey="id"
          loading={pages.loading}
          dataSource={pages.rows}
          pagination={false}
          locale={{ emptyText: t('svNone') }}
          columns={[
            {
              title: t('colName'),
              dataIndex: 'name',
              render: (_, s) => (
                <Link to={`surveys/${encodeURIComponent(s.id)}`} testId="survey-link">
                  {s.name}
                </Link>
              ),
            },
            {
              title: t('colStatus'),
              dataIndex: 'status',
              width: 110,
              render: (v: Status) => <Badge status={v === 'active' ? 'success' : 'default'} text={t(v === 'active' ? 'status_active' : 'status_archived')} />,
            },
            { title: t('svColQuestions'), width: 90, align: 'right', render: (_, s) => s.questions.length },
            { title: t('colVersion'), dataIndex: 'version', width: 80, align: 'right' },
            { title: t('colUpdated'), dataIndex: 'updatedAt', width: 190, render: (v: string) => formatTime(v, locale) },
          ]}
        />
      </div>
      <CursorPager pages={pages} testId="surveys-pager" />
    </Card>
  );
}
