/**
 * The staff task board (GET /v1/wecom/tasks): a day's SOP tasks as columns by state — to send,
 * waiting for the staff member to confirm in WeCom, done, failed — filtered by staff member and SOP;
 * operators mark a task done by hand (POST /v1/wecom/tasks/:id/complete). Tasks are read a page of
 * 200 at a time through the API's cursor ("Load more").
 */
import { App as AntApp, Badge, Button, Card, Col, Empty, Input, Row, Select, Space, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import type { SopTask } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { type MessageKey, useI18n } from '../../i18n.ts';
import { canChange, useSession } from '../../session.ts';
import { todayIn } from '../../format.ts';
import { allPages, StaffSelect, useLoad, useStaffList } from './shared.tsx';

const COLUMNS: { key: string; statuses: SopTask['status'][]; label: MessageKey; color: string }[] = [
  { key: 'todo', statuses: ['pending', 'sending'], label: 'scrmBoardTodo', color: '#faad14' },
  { key: 'waiting', statuses: ['waiting'], label: 'scrmBoardWaiting', color: '#1677ff' },
  { key: 'done', statuses: ['done'], label: 'scrmBoardDone', color: '#52c41a' },
  { key: 'failed', statuses: ['failed'], label: 'scrmBoardFailed', color: '#ff4d4f' },
];

/** The board. */
export function TaskBoardPage() {
  const { api, role, workspace } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const staff = useStaffList();
  const sops = useLoad(() => allPages((cursor) => api.scrm.sops({ includeArchived: true, cursor })), [api]);
  const [filter, setFilter] = useState<{ date: string; staff?: string; sopId?: string }>({ date: todayIn(workspace.timeZone) });
  const [state, setState] = useState<{ tasks: SopTask[]; next: string | null; loading: boolean; error: unknown }>({
    tasks: [],
    next: null,
    loading: true,
    error: null,
  });
  const [tick, setTick] = useState(0);

  const load = async (cursor: string | undefined, append: boolean) => {
    setState((s) => ({ ...s, loading: true, error: null }));
    try {
      const page = await api.scrm.tasks({ ...filter, limit: 200, cursor });
      setState((s) => ({ tasks: append ? [...s.tasks, ...page.data] : page.data, next: page.nextCursor, loading: false, error: null }));
    } catch (error) {
      setState((s) => ({ ...s, loading: false, error }));
    }
  };
  useEffect(() => {
    void load(undefined, false);
  }, [api, filter.date, filter.staff, filter.sopId, tick]);

  const done = async (task: SopTask) => {
    try {
      await api.scrm.completeTask(task.id);
      message.success(t('saved'));
      setTick((n) => n + 1);
    } catch (error) {
      setState((s) => ({ ...s, error }));
    }
  };
  const byColumn = useMemo(() => new Map(COLUMNS.map((c) => [c.key, state.tasks.filter((x) => c.statuses.includes(x.status))])), [state.tasks]);

  return (
    <Card title={t('scrmTaskBoard')} data-testid="task-board">
      <Space wrap style={{ marginBottom: 16 }}>
        <Input
          type="date"
          value={filter.date}
          onChange={(e) => setFilter({ ...filter, date: e.target.value })}
          style={{ width: 160 }}
          data-testid="board-date"
        />
        <StaffSelect
          staff={staff.data}
          includeResigned
          allowClear
          value={filter.staff}
          onChange={(v) => setFilter({ ...filter, staff: (v as string) || undefined })}
        />
        <Select
          allowClear
          placeholder={t('scrmSop')}
          value={filter.sopId}
          onChange={(sopId?: string) => setFilter({ ...filter, sopId })}
          style={{ minWidth: 200 }}
          options={(sops.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
        />
        <Button onClick={() => setTick((n) => n + 1)}>{t('refresh')}</Button>
      </Space>
      <ErrorAlert error={state.error} />
      <Row gutter={[12, 12]}>
        {COLUMNS.map((c) => {
          const list = byColumn.get(c.key) ?? [];
          return (
            <Col xs={24} md={12} xl={6} key={c.key}>
              <Card
                size="small"
                title={
                  <Space>
                    <Badge color={c.color} />
                    {t(c.label)}
                    <Typography.Text type="secondary">{list.length}</Typography.Text>
                  </Space>
                }
                styles={{ body: { background: '#fafafa', minHeight: 120 } }}
                data-testid={`board-${c.key}`}
              >
                {list.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('scrmBoardEmpty')} />}
                <Space orientation="vertical" style={{ width: '100%' }}>
                  {list.map((task) => (
                    <Card key={task.id} size="small" data-testid="board-task">
                      <Typography.Text strong>{task.sopName ?? task.sopId}</Typography.Text>
                      <Typography.Text type="secondary">{` · ${task.stepName ?? task.stepId}`}</Typography.Text>
                      <div>{t(task.targetType === 'group' ? 'scrmTaskToGroup' : 'scrmTaskToCustomer', { name: task.targetName ?? task.targetId })}</div>
                      <div>
                        <Typography.Text type="secondary">
                          {task.staffName ?? task.staff} · {formatTime(task.dueAt, locale)}
                        </Typography.Text>
                      </div>
                      {task.error && <Typography.Text type="danger">{task.error}</Typography.Text>}
                      {task.completedBy && <div>{t(task.completedBy === 'wecom' ? 'scrmDoneInWeCom' : 'scrmDoneByHand')}</div>}
                      {canChange(role) && task.status !== 'done' && task.status !== 'sending' && (
                        <Button size="small" style={{ marginTop: 6 }} onClick={() => done(task)} data-testid="board-done">
                          {t('scrmMarkDone')}
                        </Button>
                      )}
                    </Card>
                  ))}
                </Space>
              </Card>
            </Col>
          );
        })}
      </Row>
      {state.next && (
        <Button style={{ marginTop: 12 }} loading={state.loading} onClick={() => load(state.next ?? undefined, true)} data-testid="board-more">
          {t('scrmLoadMore')}
        </Button>
      )}
    </Card>
  );
}
