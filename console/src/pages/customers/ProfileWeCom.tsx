/**
 * The profile page's WeCom card (GET /v1/profiles/:id/wecom, scrm's read): the staff who follow
 * the customer, the owner first, and the customer groups they are in (then were in).
 */
import { Card, Col, Empty, List, Row, Space, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { ProfileWeCom } from '../../api-scrm.ts';
import type { Api } from '../../api.ts';
import { ErrorAlert } from '../../components.tsx';
import { formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';

/** The WeCom card of a profile. */
export function ProfileWeComCard({ api, profileId }: { api: Api; profileId: string }) {
  const { t, locale } = useI18n();
  const [data, setData] = useState<ProfileWeCom | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    api.scrm.profileWeCom(profileId).then(
      (d) => live && (setData(d), setError(null)),
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [api, profileId]);

  return (
    <Card title={t('wcTitle')} size="small" data-testid="profile-wecom" loading={!data && !error}>
      <ErrorAlert error={error} />
      {data && data.contacts.length === 0 && <Empty description={<span data-testid="wecom-not-contact">{t('wcNotContact')}</span>} />}
      {data && data.contacts.length > 0 && (
        <Row gutter={[16, 16]}>
          <Col xs={24} md={12}>
            <Typography.Title level={5}>{t('wcStaff')}</Typography.Title>
            <List
              size="small"
              dataSource={data.staff}
              locale={{ emptyText: t('wcNoStaff') }}
              data-testid="wecom-staff"
              renderItem={(s) => (
                <List.Item data-testid="wecom-staff-row">
                  <Space orientation="vertical" size={0}>
                    <Space wrap>
                      <Typography.Text strong delete={s.deletedAt !== null}>
                        {s.staffName ?? s.userid}
                      </Typography.Text>
                      <Typography.Text type="secondary">{s.userid}</Typography.Text>
                      {s.owner && (
                        <Tag color="blue" data-testid="wecom-owner">
                          {t('wcOwner')}
                        </Tag>
                      )}
                    </Space>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {s.deletedAt ? t('wcEnded', { time: formatTime(s.deletedAt, locale) }) : t('wcAdded', { time: formatTime(s.addedAt, locale) })}
                      {s.remark ? ` · ${t('wcRemark')}: ${s.remark}` : ''}
                    </Typography.Text>
                    {s.tags.length > 0 && (
                      <Space size={[4, 4]} wrap>
                        {s.tags.map((tag) => (
                          <Tag key={tag.id}>{tag.name}</Tag>
                        ))}
                      </Space>
                    )}
                  </Space>
                </List.Item>
              )}
            />
          </Col>
          <Col xs={24} md={12}>
            <Typography.Title level={5}>{t('wcGroups')}</Typography.Title>
            <List
              size="small"
              dataSource={data.groups}
              locale={{ emptyText: t('wcNoGroups') }}
              data-testid="wecom-groups"
              renderItem={(g) => (
                <List.Item data-testid="wecom-group-row">
                  <Space orientation="vertical" size={0}>
                    <Space wrap>
                      <Typography.Text strong delete={g.quitAt !== null}>
                        {g.name || g.chatId}
                      </Typography.Text>
                      <Typography.Text type="secondary">{t('wcMembers', { n: g.memberCount })}</Typography.Text>
                    </Space>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('wcGroupOwner')}: {g.ownerName ?? g.owner} ·{' '}
                      {g.quitAt ? t('wcQuit', { time: formatTime(g.quitAt, locale) }) : `${t('wcJoined')} ${formatTime(g.joinedAt, locale)}`}
                    </Typography.Text>
                  </Space>
                </List.Item>
              )}
            />
          </Col>
        </Row>
      )}
    </Card>
  );
}
