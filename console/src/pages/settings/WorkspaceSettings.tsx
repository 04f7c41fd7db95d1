/** Settings → Workspace: name and time zone, and the rate limits of the public endpoints (owners change them; everyone else reads them; the API enforces it). */
import { Alert, App as AntApp, Button, Card, Descriptions, Form, Input, Select, Space, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { ErrorAlert } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';
import { EncryptionKeysCard } from './EncryptionKeys.tsx';
import { RateLimitsCard } from './RateLimits.tsx';

/** The zone's UTC offset now (`GMT+8`), or '' when the browser cannot say. */
function offsetOf(zone: string): string {
  try {
    return (
      new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')
        ?.value ?? ''
    );
  } catch {
    return '';
  }
}

/** The wall-clock time in a zone now, in the console's language. */
function timeIn(zone: string, locale: string): string {
  try {
    return new Date().toLocaleString(locale, { timeZone: zone, hour12: false, dateStyle: 'medium', timeStyle: 'short' });
  } catch {
    return '';
  }
}

/** The zones the browser knows (the server checks the one chosen against its own list). */
function zoneOptions(current: string): { value: string; label: string }[] {
  const zones = new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);
  zones.add(current);
  return [...zones].map((z) => ({ value: z, label: `${z} (${offsetOf(z)})` }));
}

/** The workspace settings screen. */
export function WorkspaceSettingsPage() {
  const { api, role, workspace, workspaceChanged } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<{ name: string; timezone: string; holidays: string }>();
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const owner = role === 'owner';
  const zone = Form.useWatch('timezone', form) ?? workspace.timeZone;
  const options = useMemo(() => zoneOptions(workspace.timeZone), [workspace.timeZone]);
  const [, tick] = useState(0);

  // The local time shown beside the zone moves on by the minute.
  useEffect(() => {
    const timer = window.setInterval(() => tick((n) => n + 1), 30_000);
    return () => window.clearInterval(timer);
  }, []);
  const savedHolidays = workspace.settings.holidays ?? [];
  useEffect(
    () => form.setFieldsValue({ name: workspace.name, timezone: workspace.timeZone, holidays: (workspace.settings.holidays ?? []).join('\n') }),
    [form, workspace],
  );

  const save = async (v: { name: string; timezone: string; holidays: string }) => {
    setError(null);
    setSaving(true);
    // One date per line or separated by commas or spaces; the server checks each and sorts them.
    const holidays = [...new Set((v.holidays ?? '').split(/[\s,，、]+/).filter(Boolean))].sort();
    try {
      const body = {
        ...(v.name.trim() !== workspace.name ? { name: v.name.trim() } : {}),
        ...(v.timezone !== workspace.timeZone ? { timezone: v.timezone } : {}),
        ...(holidays.join() !== savedHolidays.join() ? { holidays } : {}),
      };
      if (Object.keys(body).length === 0) return;
      const updated = await api.updateWorkspace(body);
      message.success(t('workspaceSaved'));
      workspaceChanged?.(updated);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <Card title={t('workspaceTitle')}>
        <Typography.Paragraph type="secondary">{t('workspaceHelp')}</Typography.Paragraph>
        {!owner && <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('workspaceOwnerOnly')} data-testid="ws-read-only" />}
        <ErrorAlert error={error} testId="ws-error" />
        <Form form={form} layout="vertical" style={{ maxWidth: 560, marginTop: 8 }} disabled={!owner} onFinish={save}>
          <Form.Item name="name" label={t('workspaceName')} rules={[{ required: true, whitespace: true, message: t('workspaceNameRequired') }]}>
            <Input maxLength={100} data-testid="ws-name" />
          </Form.Item>
          <Form.Item
            name="timezone"
            label={
              <Space size={6}>
                {t('workspaceTimeZone')}
                {workspace.timeZoneIsDefault && <Tag data-testid="ws-timezone-default">{t('timeZoneServerDefault')}</Tag>}
              </Space>
            }
            extra={
              <>
                <div data-testid="ws-local-time">{t('timeZoneLocalNow', { time: timeIn(zone, locale) })}</div>
                <div>{t('workspaceTimeZoneHelp')}</div>
              </>
            }
          >
            <Select showSearch optionFilterProp="label" placeholder={t('workspaceTimeZonePick')} options={options} data-testid="ws-timezone" />
          </Form.Item>
          <Form.Item name="holidays" label={t('workspaceHolidays')} extra={t('workspaceHolidaysHelp')}>
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 8 }} placeholder="2027-10-01" style={{ fontFamily: 'monospace' }} data-testid="ws-holidays" />
          </Form.Item>
          {owner && (
            <Button type="primary" htmlType="submit" loading={saving} data-testid="ws-save">
              {t('save')}
            </Button>
          )}
        </Form>
        <Descriptions size="small" column={1} style={{ marginTop: 24, maxWidth: 560 }}>
          <Descriptions.Item label={t('workspaceId')}>
            <Typography.Text copyable code data-testid="ws-id">
              {workspace.id}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('createdAt')}>{formatTime(workspace.createdAt, locale)}</Descriptions.Item>
        </Descriptions>
      </Card>
      <RateLimitsCard />
      <EncryptionKeysCard />
    </Space>
  );
}
