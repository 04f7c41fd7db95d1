/**
 * Consent recorded elsewhere (store paper forms, a shop's checkout), imported from a CSV file into
 * the ledger with its evidence (POST /v1/messaging/consent/imports). The whole file is checked
 * first: a rejected file records nothing and its bad rows are listed by line and column.
 */
import { Alert, App as AntApp, Button, Checkbox, Modal, Space, Table, Typography, Upload } from 'antd';
import { useState } from 'react';
import { ApiError, type ConsentImportReport } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatCount } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { useSession } from '../../session.ts';

/** Reads a rejected import's report from its error (the server sends it as `details`). */
function rejectedReport(err: unknown): ConsentImportReport | undefined {
  if (!(err instanceof ApiError) || err.code !== 'CONSENT_IMPORT_INVALID') return undefined;
  const d = err.details as Partial<ConsentImportReport> | undefined;
  return d && typeof d.rows === 'number' && Array.isArray(d.errors) ? (d as ConsentImportReport) : undefined;
}

/** The "Import consent" button and its dialog; `onImported` runs after rows were recorded. */
export function ConsentImport({ onImported }: { onImported: () => void }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [open, setOpen] = useState(false);
  const [file, setFile] = useState<(File & { uid: string }) | null>(null);
  const [skipBad, setSkipBad] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ file: string; report: ConsentImportReport } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const count = (n: number) => formatCount(n, locale);

  const send = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const report = await api.importConsent(file, { mode: skipBad ? 'skip-bad-rows' : 'all-or-nothing', fileName: file.name });
      setOutcome({ file: file.name, report });
      if (report.recorded > 0) {
        message.success(
          t('consentImportDone', { file: file.name, rows: count(report.rows), recorded: count(report.recorded), unchanged: count(report.unchanged) }),
        );
        onImported();
      }
    } catch (err) {
      const report = rejectedReport(err);
      if (report) setOutcome({ file: file.name, report });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const r = outcome?.report;
  const summary = !r
    ? ''
    : r.rejected
      ? t('consentImportRejected', { file: outcome.file, rows: count(r.rows), errors: count(r.errorCount) })
      : r.errorCount
        ? t('consentImportDoneErrors', { file: outcome.file, rows: count(r.rows), recorded: count(r.recorded), errors: count(r.errorCount) })
        : t('consentImportDone', { file: outcome.file, rows: count(r.rows), recorded: count(r.recorded), unchanged: count(r.unchanged) });
  return (
    <>
      <Button onClick={() => setOpen(true)} data-testid="consent-import-open">
        {t('consentImportOpen')}
      </Button>
      <Modal open={open} title={t('consentImportTitle')} onCancel={() => setOpen(false)} footer={null} width={760} destroyOnHidden>
        <Typography.Paragraph type="secondary">{t('consentImportHelp')}</Typography.Paragraph>
        <Space wrap align="start" style={{ marginBottom: 12 }}>
          <div data-testid="consent-import-file">
            <Upload
              accept=".csv,text/csv"
              maxCount={1}
              beforeUpload={(f) => {
                setFile(f);
                setOutcome(null);
                setError(null);
                return false; // sent by the button below
              }}
              onRemove={() => setFile(null)}
              fileList={file ? [{ uid: file.uid, name: file.name, size: file.size, status: 'done' }] : []}
            >
              <Button>{t('consentImportPick')}</Button>
            </Upload>
          </div>
          <Checkbox checked={skipBad} onChange={(e) => setSkipBad(e.target.checked)} data-testid="consent-import-skip-bad">
            {t('consentImportSkipBad')}
          </Checkbox>
          <Button type="primary" disabled={!file} loading={busy} onClick={send} data-testid="consent-import-send">
            {t('consentImportSend')}
          </Button>
        </Space>
        {error !== null && <ErrorAlert error={error} testId="consent-import-error" />}
        {r && (
          <div data-testid="consent-import-report">
            <Alert
              type={r.rejected ? 'error' : r.errorCount ? 'warning' : 'success'}
              showIcon
              style={{ marginBottom: 12 }}
              title={<span data-testid="consent-import-summary">{summary}</span>}
            />
            {r.errors.length > 0 && (
              <Table
                size="small"
                rowKey={(e) => `${e.line}:${e.field ?? ''}:${e.reason}`}
                dataSource={r.errors}
                pagination={r.errors.length > 10 ? { pageSize: 10, showSizeChanger: false } : false}
                data-testid="consent-import-errors"
                columns={[
                  { title: t('colLine'), dataIndex: 'line', width: 80, align: 'right' },
                  { title: t('consentImportField'), dataIndex: 'field', width: 120 },
                  { title: t('colReason'), dataIndex: 'reason' },
                ]}
              />
            )}
          </div>
        )}
      </Modal>
    </>
  );
}
