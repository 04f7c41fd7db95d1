/** A profile's timeline, newest first, loading the next page as its end scrolls into view. */
import { Button, Empty, List, Space, Tag, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Api, TimelineEvent } from '../../api.ts';
import { ErrorAlert, JsonBlock } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';

/** The timeline section of the profile page. */
export function ProfileTimeline({ api, profileId }: { api: Api; profileId: string }) {
  const { t, locale } = useI18n();
  const [events, setEvents] = useState<TimelineEvent[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined); // undefined: first page not read yet
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);

  const more = useCallback(async () => {
    if (loading || cursor === null) return;
    setLoading(true);
    try {
      const page = await api.timeline(profileId, cursor);
      setEvents((e) => [...e, ...page.data]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [api, profileId, cursor, loading]);

  // Infinite scroll: the next page loads when the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || cursor === null) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void more(), { rootMargin: '200px' });
    io.observe(el);
    return () => io.disconnect();
  }, [more, cursor]);

  return (
    <>
      <ErrorAlert error={error} />
      {events.length === 0 && cursor === null ? (
        <Empty description={t('noEvents')} />
      ) : (
        <List
          size="small"
          dataSource={events}
          data-testid="timeline"
          renderItem={(e) => (
            <List.Item key={e.messageId} data-testid="timeline-event">
              <Space direction="vertical" style={{ width: '100%' }} size={2}>
                <Space wrap>
                  <Typography.Text type="secondary">{formatTime(e.timestamp, locale)}</Typography.Text>
                  <Tag>{e.type}</Tag>
                  <Typography.Text strong>{e.event ?? ''}</Typography.Text>
                  <Button size="small" type="link" onClick={() => setOpen(open === e.messageId ? null : e.messageId)}>
                    {open === e.messageId ? t('hideDetails') : t('showDetails')}
                  </Button>
                </Space>
                {open === e.messageId && <JsonBlock value={e.payload} />}
              </Space>
            </List.Item>
          )}
        />
      )}
      <div ref={sentinel} style={{ height: 1 }} />
      {cursor !== null && (
        <Button onClick={() => void more()} loading={loading} block data-testid="timeline-more">
          {t('loadMore')}
        </Button>
      )}
    </>
  );
}
