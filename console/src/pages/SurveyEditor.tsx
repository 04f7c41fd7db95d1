/**
 * Creating and editing a survey: texts in zh-CN and en, questions of every kind, keyword tags and
 * the links' validity. Saving an answered survey makes its next version (the server decides; the
 * screen says so beforehand). Validation messages are the server's, shown as they come.
 */
import { Alert, App as AntApp, Button, Card, Checkbox, Form, Input, InputNumber, Select, Space, Spin, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { CreateSurveyBody, Survey, SurveyQuestion } from '../api.ts';
import { ErrorAlert } from '../components.tsx';
import { useI18n } from '../i18n.ts';
import { navigate } from '../router.tsx';
import { useSession } from '../session.ts';

type Kind = SurveyQuestion['kind'];
const KINDS: Kind[] = ['nps', 'csat', 'ces', 'single', 'multiple', 'text'];

/** A question as the form holds it: options as lines of "中文 | English". */
interface Draft {
  id: string;
  kind: Kind;
  zh: string;
  en: string;
  required: boolean;
  options: string;
}

type Local = { 'zh-CN': string; en?: string };
const local = (zh: string, en: string): Local => (en.trim() ? { 'zh-CN': zh.trim(), en: en.trim() } : { 'zh-CN': zh.trim() });

function toDraft(q: SurveyQuestion): Draft {
  return {
    id: q.id,
    kind: q.kind,
    zh: q.text['zh-CN'],
    en: q.text.en ?? '',
    required: q.required ?? q.kind !== 'text',
    options: (q.options ?? []).map((o) => (o.label.en ? `${o.label['zh-CN']} | ${o.label.en}` : o.label['zh-CN'])).join('\n'),
  };
}

function toQuestion(d: Draft, old: SurveyQuestion | undefined): CreateSurveyBody['questions'][number] {
  const choice = d.kind === 'single' || d.kind === 'multiple';
  const lines = d.options
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  // Answers name options by id: an option whose Chinese label is unchanged keeps its id (wherever
  // it moved); a new one gets the next free `o<n>`.
  const used = new Set<string>();
  const options = lines.map((l) => {
    const [zh = '', en = ''] = l.split('|');
    const kept = old?.options?.find((o) => o.label['zh-CN'] === zh.trim() && !used.has(o.id));
    let id = kept?.id;
    for (let n = 1; !id; n++) if (!used.has(`o${n}`) && !old?.options?.some((o) => o.id === `o${n}`)) id = `o${n}`;
    used.add(id);
    return { id, label: local(zh, en) };
  });
  return { id: d.id, kind: d.kind, text: local(d.zh, d.en), required: d.required, ...(choice ? { options } : {}) };
}

const keywordLines = (s: Survey | undefined) => (s?.keywords ?? []).map((k) => `${k.tag}: ${k.words.join(', ')}`).join('\n');
const parseKeywords = (text: string) =>
  text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((p) => p.length >= 2 && p[0]!.trim())
    .map(([tag, ...rest]) => ({
      tag: tag!.trim(),
      words: rest
        .join(':')
        .split(/[,，]/)
        .map((w) => w.trim())
        .filter(Boolean),
    }));

/** The survey editor; `id` edits an existing survey. */
export function SurveyEditorPage({ id }: { id?: string }) {
  const { api } = useSession();
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [survey, setSurvey] = useState<Survey | undefined>();
  const [loading, setLoading] = useState(!!id);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [f, setF] = useState({ name: '', titleZh: '', titleEn: '', introZh: '', introEn: '', thanksZh: '', thanksEn: '', keywords: '', ttl: 30 });
  const [questions, setQuestions] = useState<Draft[]>([{ id: 'q1', kind: 'nps', zh: '', en: '', required: true, options: '' }]);

  useEffect(() => {
    if (!id) return;
    api.getSurvey(id).then(
      (s) => {
        setSurvey(s);
        setF({
          name: s.name,
          titleZh: s.title['zh-CN'],
          titleEn: s.title.en ?? '',
          introZh: s.intro?.['zh-CN'] ?? '',
          introEn: s.intro?.en ?? '',
          thanksZh: s.thanks?.['zh-CN'] ?? '',
          thanksEn: s.thanks?.en ?? '',
          keywords: keywordLines(s),
          ttl: s.linkTtlDays,
        });
        setQuestions(s.questions.map(toDraft));
        setLoading(false);
      },
      (err: unknown) => {
        setError(err);
        setLoading(false);
      },
    );
  }, [api, id]);

  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const setQ = (i: number, patch: Partial<Draft>) => setQuestions(questions.map((q, j) => (j === i ? { ...q, ...patch } : q)));
  const nextId = () => {
    let n = questions.length + 1;
    while (questions.some((q) => q.id === `q${n}`)) n++;
    return `q${n}`;
  };

  const save = async () => {
    setSaving(true);
    setError(null);
    const body: CreateSurveyBody = {
      name: f.name,
      title: local(f.titleZh, f.titleEn),
      ...(f.introZh.trim() ? { intro: local(f.introZh, f.introEn) } : {}),
      ...(f.thanksZh.trim() ? { thanks: local(f.thanksZh, f.thanksEn) } : {}),
      questions: questions.map((q) =>
        toQuestion(
          q,
          survey?.questions.find((o) => o.id === q.id),
        ),
      ),
      keywords: parseKeywords(f.keywords),
      linkTtlDays: f.ttl,
    };
    try {
      const saved = id ? await api.updateSurvey(id, body) : await api.createSurvey(body);
      message.success(t('svSaved', { version: saved.version }));
      navigate(`surveys/${encodeURIComponent(saved.id)}`);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  if (loading) return <Spin style={{ display: 'block', margin: '80px auto' }} />;
  return (
    <Card title={id ? t('svEditTitle', { name: survey?.name ?? id }) : t('svNewTitle')}>
      {survey?.locked && <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('svLockedNote', { next: survey.version + 1 })} />}
      <Form layout="vertical" onFinish={save}>
        <Form.Item label={t('svName')} required>
          <Input value={f.name} onChange={set('name')} data-testid="survey-name" />
        </Form.Item>
        <Space wrap style={{ width: '100%' }} styles={{ item: { flex: 1, minWidth: 280 } }}>
          <Form.Item label={`${t('svSurveyTitle')} · ${t('svZh')}`} required>
            <Input value={f.titleZh} onChange={set('titleZh')} data-testid="survey-title-zh" />
          </Form.Item>
          <Form.Item label={`${t('svSurveyTitle')} · ${t('svEn')}`}>
            <Input value={f.titleEn} onChange={set('titleEn')} data-testid="survey-title-en" />
          </Form.Item>
          <Form.Item label={`${t('svIntro')} · ${t('svZh')}`}>
            <Input.TextArea rows={2} value={f.introZh} onChange={set('introZh')} />
          </Form.Item>
          <Form.Item label={`${t('svIntro')} · ${t('svEn')}`}>
            <Input.TextArea rows={2} value={f.introEn} onChange={set('introEn')} />
          </Form.Item>
          <Form.Item label={`${t('svThanks')} · ${t('svZh')}`}>
            <Input value={f.thanksZh} onChange={set('thanksZh')} />
          </Form.Item>
          <Form.Item label={`${t('svThanks')} · ${t('svEn')}`}>
            <Input value={f.thanksEn} onChange={set('thanksEn')} />
          </Form.Item>
        </Space>
        <Typography.Title level={5}>{t('svQuestions')}</Typography.Title>
        {questions.map((q, i) => (
          <Card key={i} size="small" style={{ marginBottom: 12 }} data-testid="question-card">
            <Space wrap align="start">
              <Select<Kind>
                value={q.kind}
                style={{ width: 170 }}
                onChange={(kind) => setQ(i, { kind, required: kind !== 'text' })}
                options={KINDS.map((k) => ({ value: k, label: t(`svKind_${k}`) }))}
                data-testid="question-kind"
              />
              <Input style={{ width: 280 }} placeholder={t('svZh')} value={q.zh} onChange={(e) => setQ(i, { zh: e.target.value })} data-testid="question-zh" />
              <Input style={{ width: 280 }} placeholder={t('svEn')} value={q.en} onChange={(e) => setQ(i, { en: e.target.value })} data-testid="question-en" />
              <Checkbox checked={q.required} onChange={(e) => setQ(i, { required: e.target.checked })}>
                {t('svRequired')}
              </Checkbox>
              <Button danger size="small" disabled={questions.length === 1} onClick={() => setQuestions(questions.filter((_, j) => j !== i))}>
                {t('svRemove')}
              </Button>
            </Space>
            {(q.kind === 'single' || q.kind === 'multiple') && (
              <Input.TextArea
                rows={3}
                style={{ marginTop: 8 }}
                placeholder={t('svOptions')}
                value={q.options}
                onChange={(e) => setQ(i, { options: e.target.value })}
              />
            )}
          </Card>
        ))}
        <Button
          onClick={() => setQuestions([...questions, { id: nextId(), kind: 'text', zh: '', en: '', required: false, options: '' }])}
          style={{ marginBottom: 16 }}
          data-testid="add-question"
        >
          {t('svAddQuestion')}
        </Button>
        <Form.Item label={t('svKeywords')}>
          <Input.TextArea rows={3} value={f.keywords} onChange={set('keywords')} placeholder="delivery: 快递, 物流" data-testid="survey-keywords" />
        </Form.Item>
        <Form.Item label={t('svTtl')}>
          <InputNumber min={1} max={365} value={f.ttl} onChange={(v) => setF({ ...f, ttl: v ?? 30 })} />
        </Form.Item>
        <ErrorAlert error={error} testId="survey-error" />
        <Space style={{ marginTop: 16 }}>
          <Button type="primary" htmlType="submit" loading={saving} data-testid="save-survey">
            {t('svSave')}
          </Button>
          <Button onClick={() => navigate(id ? `surveys/${encodeURIComponent(id)}` : 'surveys')}>{t('cancel')}</Button>
        </Space>
      </Form>
    </Card>
  );
}
