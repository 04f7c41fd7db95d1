/**
 * A saved template rendered by the server for a real profile, sending nothing
 * (POST /v1/templates/:id/preview): the profile is picked by search, the locale is the profile's
 * unless one is chosen, `data` may be given as JSON. Render errors are listed with field, line and column.
 */
import { Alert, Button, Card, Form, Input, Select, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { MessageTemplateDetail, TemplatePreview } from '../../api.ts';
import { JsonBlock } from '../../components.tsx';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';
import { ProfilePicker, TemplateErrorAlert } from './shared.tsx';

/** One rendered field: text as the recipient reads it, an email's HTML in a sandboxed frame, anything else as JSON. */
function RenderedField({ name, value }: { name: string; value: unknown }) {
  return (
    <div style={{ marginBottom: 12 }} data-testid={`rendered-${name}`}>
      <Typography.Text code>{name}</Typography.Text>
      {typeof value !== 'string' ? (
        <JsonBlock value={value} />
      ) : name === 'html' ? (
        // No scripts, no same-origin access: the HTML is the operator's, shown as the recipient's mail client would.
        <iframe
          title={name}
          sandbox=""
          srcDoc={value}
          style={{ width: '100%', minHeight: 240, border: '1px solid #eee', borderRadius: 6, background: '#fff' }}
        />
      ) : (
        <pre data-testid="rendered-text" style={{ whiteSpace: 'pre-wrap', margin: '4px 0 0', padding: 12, background: 'rgba(0,0,0,0.03)', borderRadius: 6 }}>
          {value}
        </pre>
      )}
    </div>
  );
}

/** The preview card of the template editor. */
export function TemplatePreviewPanel({ template, unsaved }: { template: MessageTemplateDetail; unsaved: boolean }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [profileId, setProfileId] = useState<string | undefined>();
  const [locale, setLocale] = useState<string>('');
  const [version, setVersion] = useState<number | undefined>();
  const [data, setData] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<TemplatePreview | null>(null);

  const run = async () => {
    let parsed: Record<string, unknown> | undefined;
    if (data.trim()) {
      try {
        parsed = JSON.parse(data) as Record<string, unknown>;
      } catch (err) {
        return setError(new Error(t('msgJsonProblem', { where: 'data', message: (err as Error).message })));
      }
    }
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(
        await api.previewTemplate(template.id, {
          profileId,
          ...(locale ? { locale } : {}),
          ...(version ? { version } : {}),
          ...(parsed ? { data: parsed } : {}),
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t('msgPreviewTitle')} data-testid="tpl-preview">
      {unsaved && <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('msgPreviewSavedOnly', { version: template.version })} />}
      <Form layout="vertical">
        <Form.Item label={t('msgPreviewProfile')} required>
          <ProfilePicker value={profileId} onChange={setProfileId} testId="preview-profile" />
        </Form.Item>
        <Space wrap>
          <Form.Item label={t('msgLocale')}>
            <Select
              value={locale}
              onChange={setLocale}
              style={{ minWidth: 160 }}
              data-testid="preview-locale"
              options={[{ value: '', label: t('msgLocaleOfProfile') }, ...Object.keys(template.variants).map((l) => ({ value: l, label: l }))]}
            />
          </Form.Item>
          <Form.Item label={t('colVersion')}>
            <Select
              value={version ?? template.version}
              onChange={setVersion}
              style={{ minWidth: 100 }}
              options={template.versions.map((v) => ({ value: v.version, label: String(v.version) }))}
            />
          </Form.Item>
        </Space>
        <Form.Item label={t('msgPreviewData')} extra={t('msgPreviewDataHelp')}>
          <Input.TextArea value={data} onChange={(e) => setData(e.target.value)} autoSize={{ minRows: 1, maxRows: 8 }} placeholder='{ "coupon": "C123" }' />
        </Form.Item>
        <Button type="primary" loading={busy} disabled={!profileId} onClick={run} data-testid="preview-run">
          {t('preview')}
        </Button>
      </Form>
      <div style={{ marginTop: 16 }}>
        <TemplateErrorAlert error={error} testId="preview-error" />
        {result && (
          <div data-testid="preview-result">
            <Space style={{ marginBottom: 8 }} wrap>
              <Tag data-testid="preview-locale-used">{result.locale}</Tag>
              <Tag>{t('versionN', { n: result.version })}</Tag>
            </Space>
            {result.warnings.map((w) => (
              <Alert key={w.code} type="warning" showIcon style={{ marginBottom: 8 }} title={w.code} description={w.message} data-testid="preview-warning" />
            ))}
            {Object.entries(result.content).map(([k, v]) => (
              <RenderedField key={k} name={k} value={v} />
            ))}
          </div>
        )}
      </div>
    </Card>
  );
}
