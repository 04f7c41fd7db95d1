/**
 * SOPs (content plans, GET/POST/PATCH/DELETE /v1/wecom/sops): the list with pause / resume /
 * archive, and the editor — who the plan reaches (new customers, optionally through some live
 * codes; a segment's customers; groups by owner or chat) and its steps (day N after joining, or
 * weekdays, at a local time) with text and an optional link.
 */
import { Button, Card, Checkbox, Form, Input, InputNumber, Popconfirm, Radio, Select, Space, Spin, Switch, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { Sop } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link, navigate } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';
import { allPages, StaffSelect, StatusTag, useLoad, useStaffList } from './shared.tsx';

type Target = { type?: string; newContacts?: boolean; liveCodeStates?: string[]; segmentId?: string; owners?: string[]; chatIds?: string[] };
type Step = {
  id: string;
  name?: string;
  schedule: { kind: string; day?: number; weekdays?: number[]; time: string };
  content: { text?: { content: string }; attachments?: { msgtype: string; link?: { title: string; url: string } }[] };
};

/** The target in words. */
function targetText(target: Target, t: ReturnType<typeof useI18n>['t']): string {
  if (target.type === 'groups') return t('scrmTargetGroupsN', { n: (target.owners?.length ?? 0) + (target.chatIds?.length ?? 0) });
  if (target.segmentId) return t('scrmTargetSegment', { id: target.segmentId });
  return target.liveCodeStates?.length ? t('scrmTargetNewViaCodes', { n: target.liveCodeStates.length }) : t('scrmTargetNew');
}

/** The SOP list. */
export function SopsPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const [archived, setArchived] = useState(false);
  const pages = useCursorPages((cursor) => api.scrm.sops({ includeArchived: archived, cursor }), String(archived));
  const [error, setError] = useState<unknown>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      pages.reload({ quiet: true });
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card
      title={t('scrmSopsTitle')}
      extra={
        <Space>
          <Link to="scrm/tasks">{t('scrmTaskBoard')}</Link>
          {canChange(role) && (
            <Button type="primary" onClick={() => navigate('scrm/sops/new')} data-testid="new-sop">
              {t('scrmNewSop')}
            </Button>
          )}
        </Space>
      }
    >
      <Space style={{ marginBottom: 12 }}>
        <Switch checked={archived} onChange={setArchived} /> {t('scrmShowArchived')}
      </Space>
      <ErrorAlert error={error ?? pages.error} />
      <Table<Sop>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        locale={{ emptyText: t('scrmNoSops') }}
        data-testid="sops-table"
        columns={[
          {
            title: t('colName'),
            dataIndex: 'name',
            render: (n: string, s) => (canChange(role) && s.status !== 'archived' ? <Link to={`scrm/sops/${encodeURIComponent(s.id)}`}>{n}</Link> : n),
          },
          { title: t('colStatus'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
          { title: t('scrmTarget'), dataIndex: 'target', render: (target: Target) => targetText(target, t) },
          { title: t('scrmSteps'), dataIndex: 'steps', render: (steps: unknown[]) => <Tag>{steps.length}</Tag> },
          { title: t('scrmCreated'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, locale) },
          {
            title: '',
            key: 'actions',
            render: (_, s) =>
              canChange(role) &&
              s.status !== 'archived' && (
                <Space>
                  <Button size="small" onClick={() => act(() => api.scrm.updateSop(s.id, { status: s.status === 'active' ? 'paused' : 'active' }))}>
                    {s.status === 'active' ? t('pause') : t('resume')}
                  </Button>
                  <Popconfirm title={t('scrmArchiveSopConfirm')} onConfirm={() => act(() => api.scrm.archiveSop(s.id))}>
                    <Button size="small" danger>
                      {t('scrmArchive')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      <CursorPager pages={pages} />
    </Card>
  );
}

interface StepValues {
  id?: string;
  name?: string;
  kind: 'relative' | 'recurring';
  day?: number;
  weekdays?: number[];
  time: string;
  text?: string;
  linkTitle?: string;
  linkUrl?: string;
}
interface Values {
  name: string;
  targetKind: 'new' | 'segment' | 'groups';
  liveCodeStates?: string[];
  segmentId?: string;
  owners?: string[];
  chatIds?: string[];
  steps: StepValues[];
}

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

/** Form values of a stored SOP. */
function valuesOf(s: Sop): Values {
  const target = s.target as Target;
  return {
    name: s.name,
    targetKind: target.type === 'groups' ? 'groups' : target.segmentId ? 'segment' : 'new',
    liveCodeStates: target.liveCodeStates,
    segmentId: target.segmentId,
    owners: target.owners,
    chatIds: target.chatIds,
    steps: (s.steps as Step[]).map((x) => ({
      id: x.id,
      name: x.name,
      kind: x.schedule.kind === 'recurring' ? 'recurring' : 'relative',
      day: x.schedule.day,
      weekdays: x.schedule.weekdays,
      time: x.schedule.time,
      text: x.content.text?.content,
      linkTitle: x.content.attachments?.find((a) => a.msgtype === 'link')?.link?.title,
      linkUrl: x.content.attachments?.find((a) => a.msgtype === 'link')?.link?.url,
    })),
  };
}

/** The API body of form values. */
function bodyOf(v: Values): Record<string, unknown> {
  const target =
    v.targetKind === 'groups'
      ? { type: 'groups', ...(v.owners?.length ? { owners: v.owners } : {}), ...(v.chatIds?.length ? { chatIds: v.chatIds } : {}) }
      : v.targetKind === 'segment'
        ? { type: 'customers', segmentId: v.segmentId }
        : { type: 'customers', newContacts: true, ...(v.liveCodeStates?.length ? { liveCodeStates: v.liveCodeStates } : {}) };
  const steps = v.steps.map((s, i) => ({
    id: s.id || `step-${i + 1}`,
    ...(s.name?.trim() ? { name: s.name.trim() } : {}),
    schedule: s.kind === 'recurring' ? { kind: 'recurring', weekdays: s.weekdays ?? [], time: s.time } : { kind: 'relative', day: s.day ?? 0, time: s.time },
    content: {
      ...(s.text?.trim() ? { text: { content: s.text } } : {}),
      ...(s.linkUrl?.trim() ? { attachments: [{ msgtype: 'link', link: { title: s.linkTitle?.trim() || s.linkUrl.trim(), url: s.linkUrl.trim() } }] } : {}),
    },
  }));
  return { name: v.name.trim(), target, steps };
}

/** The SOP editor; `id` edits one. */
export function SopEditorPage({ id }: { id?: string }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const staff = useStaffList();
  const existing = useLoad(() => (id ? api.scrm.sop(id) : Promise.resolve(undefined)), [api, id]);
  const codes = useLoad(() => allPages((cursor) => api.scrm.liveCodes({ limit: 200, cursor })), [api]);
  const groups = useLoad(() => allPages((cursor) => api.scrm.groups({ status: 'active', limit: 500, cursor })), [api]);
  const segments = useLoad(() => api.scrm.segments(), [api]);
  const targetKind = Form.useWatch('targetKind', form);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (existing.data) form.setFieldsValue(valuesOf(existing.data));
  }, [existing.data, form]);

  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setError(null);
    try {
      await (id ? api.scrm.updateSop(id, bodyOf(v)) : api.scrm.createSop(bodyOf(v)));
      navigate('scrm/sops');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (id && existing.loading) return <Spin style={{ display: 'block', margin: 48 }} />;
  return (
    <Card title={id ? t('scrmEditSop') : t('scrmNewSop')} data-testid="sop-editor">
      <ErrorAlert error={existing.error} />
      <Form form={form} layout="vertical" style={{ maxWidth: 880 }} initialValues={{ targetKind: 'new', steps: [{ kind: 'relative', day: 0, time: '09:00' }] }}>
        <Form.Item name="name" label={t('colName')} rules={[{ required: true, whitespace: true }]}>
          <Input data-testid="sop-name" />
        </Form.Item>
        <Form.Item name="targetKind" label={t('scrmTarget')}>
          <Radio.Group
            options={[
              { value: 'new', label: t('scrmTargetKind_new') },
              { value: 'segment', label: t('scrmTargetKind_segment') },
              { value: 'groups', label: t('scrmTargetKind_groups') },
            ]}
          />
        </Form.Item>
        {targetKind === 'new' && (
          <Form.Item name="liveCodeStates" label={t('scrmTargetLiveCodes')} extra={t('scrmTargetLiveCodesHelp')}>
            <Select mode="multiple" allowClear loading={codes.loading} options={(codes.data ?? []).map((c) => ({ value: c.state, label: c.name }))} />
          </Form.Item>
        )}
        {targetKind === 'segment' && (
          <Form.Item name="segmentId" label={t('scrmTargetKind_segment')} rules={[{ required: true }]}>
            <Select
              showSearch={{ optionFilterProp: 'label' }}
              loading={segments.loading}
              options={(segments.data?.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
            />
          </Form.Item>
        )}
        {targetKind === 'groups' && (
          <>
            <Form.Item name="owners" label={t('scrmTargetOwners')}>
              <StaffSelect staff={staff.data} multiple />
            </Form.Item>
            <Form.Item name="chatIds" label={t('scrmTargetChats')}>
              <Select
                mode="multiple"
                showSearch={{ optionFilterProp: 'label' }}
                loading={groups.loading}
                options={(groups.data ?? []).map((g) => ({ value: g.chatId, label: g.name || g.chatId }))}
              />
            </Form.Item>
          </>
        )}
        <Typography.Title level={5}>{t('scrmSteps')}</Typography.Title>
        <Form.List name="steps">
          {(fields, { add, remove }) => (
            <Space orientation="vertical" style={{ width: '100%' }}>
              {fields.map((field, i) => (
                <Card
                  key={field.key}
                  size="small"
                  title={t('scrmStepN', { n: i + 1 })}
                  extra={
                    fields.length > 1 && (
                      <Button size="small" onClick={() => remove(field.name)}>
                        {t('scrmRemove')}
                      </Button>
                    )
                  }
                >
                  <Form.Item name={[field.name, 'id']} hidden>
                    <Input />
                  </Form.Item>
                  <Space wrap align="start">
                    <Form.Item name={[field.name, 'name']} label={t('colName')}>
                      <Input style={{ width: 180 }} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'kind']} label={t('scrmSchedule')}>
                      <Select
                        style={{ width: 170 }}
                        options={[
                          { value: 'relative', label: t('scrmScheduleRelative') },
                          { value: 'recurring', label: t('scrmScheduleRecurring') },
                        ]}
                      />
                    </Form.Item>
                    <Form.Item noStyle shouldUpdate>
                      {() =>
                        form.getFieldValue(['steps', field.name, 'kind']) === 'recurring' ? (
                          <Form.Item name={[field.name, 'weekdays']} label={t('scrmWeekdays')} rules={[{ required: true, type: 'array', min: 1 }]}>
                            <Checkbox.Group options={WEEKDAYS.map((d) => ({ value: d, label: t(`scrmWeekday_${d}` as 'scrmWeekday_1') }))} />
                          </Form.Item>
                        ) : (
                          <Form.Item name={[field.name, 'day']} label={t('scrmDayN')} rules={[{ required: true }]}>
                            <InputNumber min={0} max={365} />
                          </Form.Item>
                        )
                      }
                    </Form.Item>
                    <Form.Item name={[field.name, 'time']} label={t('scrmAtTime')} rules={[{ required: true, pattern: /^([01]\d|2[0-3]):[0-5]\d$/ }]}>
                      <Input type="time" style={{ width: 120 }} />
                    </Form.Item>
                  </Space>
                  <Form.Item name={[field.name, 'text']} label={t('scrmStepText')}>
                    <Input.TextArea rows={2} maxLength={4000} data-testid="sop-step-text" />
                  </Form.Item>
                  <Space wrap>
                    <Form.Item name={[field.name, 'linkTitle']} label={t('scrmLinkTitle')}>
                      <Input style={{ width: 220 }} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'linkUrl']} label={t('scrmLinkUrl')} rules={[{ type: 'url' }]}>
                      <Input style={{ width: 'min(320px, 70vw)' }} placeholder="https://" />
                    </Form.Item>
                  </Space>
                </Card>
              ))}
              <Button onClick={() => add({ kind: 'relative', day: 0, time: '09:00' })}>{t('scrmAddStep')}</Button>
            </Space>
          )}
        </Form.List>
        <ErrorAlert error={error} testId="sop-error" />
        <Space style={{ marginTop: 16 }}>
          <Button type="primary" loading={busy} onClick={submit} data-testid="sop-save">
            {t('save')}
          </Button>
          <Button onClick={() => navigate('scrm/sops')}>{t('cancel')}</Button>
        </Space>
      </Form>
    </Card>
  );
}
