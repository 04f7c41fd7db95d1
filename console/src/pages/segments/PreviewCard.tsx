/** A rule preview's answer: how many live profiles match, of how many, and a sample of ten with their traits. */
import { Card, Space, Spin, Table, Typography } from 'antd';
import type { Preview } from '../../api.ts';
import { formatCount, formatShare, formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';

/** The preview card; `busy` shows that a newer count is on its way. */
export function PreviewCard({ preview, busy }: { preview: Preview; busy?: boolean }) {
  const { t, locale } = useI18n();
  return (
    <Card size="small" data-testid="preview-result">
      <Space size="large" wrap style={{ marginBottom: 12 }}>
        <div>
          <Typography.Text type="secondary">{t('size')}</Typography.Text>
          <div style={{ fontSize: 28, lineHeight: 1.3 }}>
            <span data-testid="preview-count">{formatCount(preview.count, locale)}</span> {busy && <Spin size="small" />}
          </div>
        </div>
        <Typography.Text type="secondary">
          {t('previewResult', {
            count: formatCount(preview.count, locale),
            total: formatCount(preview.total, locale),
            percent: preview.total ? formatShare(preview.count / preview.total) : '0%',
            ms: preview.tookMs,
          })}
        </Typography.Text>
      </Space>
      <div>
        <Typography.Text strong>{t('previewSample')}</Typography.Text>
      </div>
      <div data-testid="preview-sample">
        <Table
          size="small"
          rowKey="id"
          pagination={false}
          scroll={{ x: 760 }}
          dataSource={preview.sample}
          columns={[
            { title: t('colProfile'), dataIndex: 'id', width: 260, render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
            {
              title: t('colTraits'),
              dataIndex: 'traits',
              width: 360,
              render: (v: Record<string, unknown>) => (
                <span style={{ fontFamily: 'monospace', fontSize: 12, wordBreak: 'break-all' }}>{JSON.stringify(v)}</span>
              ),
            },
            { title: t('colLastSeen'), dataIndex: 'lastSeenAt', width: 180, render: (v: string | null) => formatTime(v, locale) },
          ]}
        />
      </div>
    </Card>
  );
}
