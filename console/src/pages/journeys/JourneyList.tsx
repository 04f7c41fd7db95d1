/** Journeys: the list with live counts, a new blank journey, or one from a recipe. */
import { App as AntApp, Button, Card, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { Journey, JourneyStats } from '../../api.ts';
import { CursorPager, ErrorAlert, useCursorPages } from '../../components.tsx';
import { formatShare, formatTime } from '../../format.ts';
import { useI18n } from '../../i18n.ts';
import { Link, navigate } from '../../router.tsx';
import { canChange, useSession } from '../../session.ts';

type Recipe = { name: string; title: string; description: string; params: { name: string; required: boolean; description: string }[] };

/** The journeys list. */
export function JourneyListPage() {
  const { api, role } = useSession();
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const pages = useCursorPages((cursor) => api.journeys(cursor), 'journeys');
  const [stats, setStats] = useState<Record<string, JourneyStats>>({});
  const [recipes, setRecipes] = useState<Recipe[]>([]);
  const [creating, setCreating] = useState<'blank' | 'recipe' | null>(null);
  const [name, setName] = useState('');
  const [recipe, setRecipe] = useState<string | undefined>();
  const [params, setParams] = useState('{}');
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    // Live counts: each listed journey's stats (a page holds at most 50).
    for (const j of pages.rows)
      api.journeyStats(j.id).then(
        (s) => live && setStats((x) => ({ ...x, [j.id]: s })),
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, [api, pages.rows]);
  useEffect(() => {
    api.recipes().then(
      (r) => setRecipes(r.data),
      () => setRecipes([]),
    );
  }, [api]);

  const create = async () => {
    setError(null);
    try {
      const j =
        creating === 'recipe' && recipe
          ? await api.importRecipe(recipe, JSON.parse(params || '{}') as Record<string, unknown>)
          : await api.createJourney(name.trim() || t('newJourney'), {
              trigger: { type: 'manual' },
              entry: { reentry: 'never' },
              steps: [{ id: 's1', type: 'exit' }],
            });
      message.success(t('saved'));
      navigate(`journeys/${j.id}`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Card
      title={t('journeysTitle')}
      extra={
        canChange(role) && (
          <Space>
            <Button onClick={() => setCreating('recipe')} data-testid="journey-from-recipe">
              {t('fromRecipe')}
            </Button>
            <Button type="primary" onClick={() => setCreating('blank')} data-testid="new-journey">
              {t('newJourney')}
            </Button>
          </Space>
        )
      }
    >
      <ErrorAlert error={pages.error} />
      <Table<Journey>
        rowKey="id"
        loading={pages.loading}
        dataSource={pages.rows}
        pagination={false}
        scroll={{ x: true }}
        data-testid="journeys-table"
        columns={[
          { title: t('name'), key: 'name', render: (_: unknown, j) => <Link to={`journeys/${j.id}`}>{j.name}</Link> },
          { title: t('status'), dataIndex: 'status', render: (s: string) => <Tag>{t(`journeyStatus_${s}` as 'journeyStatus_draft')}</Tag> },
          { title: t('version'), dataIndex: 'currentVersion', render: (v: number | null) => (v === null ? '—' : `v${v}`) },
          { title: t('jEntered'), key: 'entered', render: (_: unknown, j) => stats[j.id]?.entered ?? '…' },
          { title: t('jActive'), key: 'active', render: (_: unknown, j) => stats[j.id]?.active ?? '…' },
          { title: t('jConversion'), key: 'conv', render: (_: unknown, j) => (stats[j.id] ? formatShare(stats[j.id]!.conversionRate) : '…') },
          { title: t('colUpdated'), dataIndex: 'updatedAt', render: (v: string) => formatTime(v, locale) },
        ]}
      />
      <CursorPager pages={pages} />
      <Modal
        open={creating !== null}
        title={creating === 'recipe' ? t('fromRecipe') : t('newJourney')}
        onCancel={() => setCreating(null)}
        onOk={create}
        okButtonProps={{ 'data-testid': 'journey-create' } as Record<`data-${string}`, string>}
      >
        <ErrorAlert error={error} />
        {creating === 'recipe' ? (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Select
              style={{ width: '100%' }}
              value={recipe}
              onChange={setRecipe}
              placeholder={t('fromRecipe')}
              options={recipes.map((r) => ({ value: r.name, label: r.title }))}
              data-testid="recipe-pick"
            />
            {recipe && <Typography.Paragraph type="secondary">{recipes.find((r) => r.name === recipe)?.description}</Typography.Paragraph>}
            {recipe && (
              <Typography.Text type="secondary">
                {t('recipeParams')}:{' '}
                {recipes
                  .find((r) => r.name === recipe)
                  ?.params.map((p) => `${p.name}${p.required ? '*' : ''}`)
                  .join(', ')}
              </Typography.Text>
            )}
            <Input.TextArea value={params} onChange={(e) => setParams(e.target.value)} autoSize={{ minRows: 3 }} style={{ fontFamily: 'monospace' }} />
          </Space>
        ) : (
          <Input value={name} onChange={(e) => setName(e.target.value)} placeholder={t('name')} data-testid="journey-new-name" />
        )}
      </Modal>
    </Card>
  );
}
