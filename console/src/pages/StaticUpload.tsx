/**
 * A static segment's member upload (POST /v1/segments/:id/members?mode=add|replace|remove): a CSV
 * file with an `identifier` column sent as the raw body, then the server's report, with every row
 * it skipped (line and reason).
 */
import { Alert, App as AntApp, Button, Descriptions, Popconfirm, Radio, Space, Table, Typography, Upload } from 'antd';
import { useState } from 'react';
import type { StaticUploadReport, UploadMode } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { formatCount } from '../format.ts';
import { type MessageKey, useI18n } from '../i18n.ts';
import { useSession } from '../session.ts';

const MODES: { mode: UploadMode; label: MessageKey; help: MessageKey }[] = [
  { mode: 'add', label: 'uploadMode_add', help: 'uploadModeHelp_add' },
  { mode: 'replace', label: 'uploadMode_replace', help: 'uploadModeHelp_replace' },
  { mode: 'remove', label: 'uploadMode_remove', help: 'uploadModeHelp_remove' },
];

/** The upload control and its outcome; `onUploaded` runs after the server applied a file. */
export function StaticUpload({ segmentId, onUploaded }: { segmentId: string; onUploaded: () => void }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [file, setFile] = useState<(File & { uid: string }) | null>(null);
  const [mode, setMode] = useState<UploadMode>('add');
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<{ file: string; mode: UploadMode; answer: StaticUploadReport } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const send = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      const answer = await api.uploadMembers(segmentId, file, mode);
      setReport({ file: file.name, mode, answer });
      message.success(t('uploadDone', { file: file.name }));
      onUploaded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  // Replacing or removing takes members out: ask first. Adding only adds.
  const destructive = mode !== 'add';
  const count = (n: number) => formatCount(n, locale);
  return (
    <div data-testid="static-upload">
      <Typography.Paragraph type="secondary">{t('uploadHelp')}</Typography.Paragraph>
      <Space wrap align="start" style={{ marginBottom: 12 }}>
        <div data-testid="upload-file">
          <Upload
            accept=".csv,text/csv"
            maxCount={1}
            beforeUpload={(f) => {
              setFile(f);
              setReport(null);
              setError(null);
              return false; // kept here and sent by the button, not by Upload's own request
            }}
            onRemove={() => setFile(null)}
            fileList={file ? [{ uid: file.uid, name: file.name, size: file.size, status: 'done' }] : []}
          >
            <Button>{t('uploadPick')}</Button>
          </Upload>
        </div>
        <Radio.Group
          value={mode}
          onChange={(e) => setMode(e.target.value as UploadMode)}
          optionType="button"
          data-testid="upload-mode"
          options={MODES.map((m) => ({ value: m.mode, label: t(m.label) }))}
        />
        <Popconfirm
          title={t(mode === 'replace' ? 'uploadConfirm_replace' : 'uploadConfirm_remove')}
          okText={t('uploadSend')}
          cancelText={t('cancel')}
          disabled={!destructive || !file}
          okButtonProps={{ danger: true }}
          onConfirm={send}
        >
          <Button type="primary" disabled={!file} loading={busy} onClick={destructive ? undefined : send} data-testid="upload-send">
            {t('uploadSend')}
          </Button>
        </Popconfirm>
      </Space>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t(MODES.find((m) => m.mode === mode)!.help)}
      </Typography.Paragraph>

      {error !== null && (
        <div style={{ marginBottom: 12 }}>
          <ErrorAlert error={error} testId="upload-error" />
        </div>
      )}
      {report && (
        <div data-testid="upload-report" style={{ marginBottom: 12 }}>
          <Alert
            type={report.answer.errorCount ? 'warning' : 'success'}
            showIcon
            style={{ marginBottom: 12 }}
            title={
              <span data-testid="upload-summary">
                {report.answer.errorCount
                  ? t('uploadSummaryErrors', { file: report.file, rows: count(report.answer.rows), errors: count(report.answer.errorCount) })
                  : t('uploadSummary', { file: report.file, rows: count(report.answer.rows) })}
              </span>
            }
          />
          <Descriptions
            size="small"
            bordered
            column={{ xs: 2, md: 5 }}
            items={[
              { key: 'rows', label: t('uploadRows'), children: <span data-testid="upload-rows">{count(report.answer.rows)}</span> },
              { key: 'added', label: t('uploadAdded'), children: <span data-testid="upload-added">{count(report.answer.added)}</span> },
              { key: 'already', label: t('uploadAlready'), children: <span data-testid="upload-already">{count(report.answer.alreadyMembers)}</span> },
              { key: 'removed', label: t('uploadRemoved'), children: <span data-testid="upload-removed">{count(report.answer.removed)}</span> },
              { key: 'errors', label: t('uploadErrors'), children: <span data-testid="upload-error-count">{count(report.answer.errorCount)}</span> },
            ]}
          />
          {report.answer.errorCount > 0 && (
            <>
              <Typography.Title level={5} style={{ marginTop: 16 }}>
                {report.answer.errorCount > report.answer.errors.length
                  ? t('uploadErrorRowsFirst', { shown: count(report.answer.errors.length), total: count(report.answer.errorCount) })
                  : t('uploadErrorRows')}
              </Typography.Title>
              <div data-testid="upload-errors">
                <Table
                  size="small"
                  rowKey={(r) => `${r.line}:${r.reason}`}
                  dataSource={report.answer.errors}
                  pagination={report.answer.errors.length > 20 ? { pageSize: 20, showSizeChanger: false } : false}
                  columns={[
                    { title: t('colLine'), dataIndex: 'line', width: 100, align: 'right' },
                    { title: t('colReason'), dataIndex: 'reason' },
                  ]}
                />
              </div>
            </>
          )}
        </div>
      )}
    </div>
  );
}
