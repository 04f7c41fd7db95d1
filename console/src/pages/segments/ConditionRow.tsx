/**
 * One condition of the rule builder as form fields: a small editor per condition type (a table of
 * handlers, one per type), each editing its node of the rule language directly, with pickers drawn
 * from the data (traits, events, properties, tags, segments, consent categories).
 */
import { Button, Input, InputNumber, Segmented, Select, Space } from 'antd';
import { type ReactNode, useEffect } from 'react';
import type { EventWindow, PropertyFilter, TagRef } from '../../../../src/segments/rule.types.ts';
import { type MessageKey, useI18n } from '../../i18n.ts';
import type { DataCatalog } from './catalog.ts';
import { ComparisonEditor, NamePicker } from './inputs.tsx';
import {
  COMMUNITY_ROLES,
  COMPARE_OPS,
  CONSENT_STATES,
  COUNT_OPS,
  DATE_OPS,
  type LeafOf,
  type LeafRule,
  type LeafType,
  LIFECYCLE_STAGES,
  NUMERIC_FIELD_OPS,
  NUMERIC_FIELDS,
  PROFILE_FIELDS,
  RFM_CELLS,
  TIME_FIELD_OPS,
} from './rule-model.ts';

/** What every row editor gets. */
interface RowProps<T extends LeafType> {
  rule: LeafOf<T>;
  onChange: (r: LeafOf<T>) => void;
  catalog: DataCatalog;
  /** A segment that may not be picked (the one being edited). */
  selfId?: string;
}

type T = (k: MessageKey, vars?: Record<string, string | number>) => string;

/** A multiple choice of fixed values with translated labels. */
function Choices<V extends string>(props: { value: V[]; values: readonly V[]; label: (v: V) => string; onChange: (v: V[]) => void; testId: string }) {
  return (
    <Select<V[]>
      mode="multiple"
      value={props.value}
      onChange={props.onChange}
      style={{ minWidth: 260 }}
      data-testid={props.testId}
      options={props.values.map((v) => ({ value: v, label: props.label(v) }))}
    />
  );
}

/** An event window: all time, the last n days, or between two instants (ISO with an offset, edited as local date-times). */
function WindowEditor({ value, onChange, t }: { value: EventWindow | undefined; onChange: (w: EventWindow | undefined) => void; t: T }) {
  const kind = !value ? 'all' : 'lastDays' in value ? 'last' : 'between';
  const offset = () => {
    const m = -new Date().getTimezoneOffset();
    const a = Math.abs(m);
    return `${m >= 0 ? '+' : '-'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  };
  // A local date-time input shows the instant as written; a new value keeps the offset it had.
  const local = (iso: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(iso) ? iso.slice(0, 16) : '');
  const iso = (v: string, was: string) => (v ? `${v}:00${/(Z|[+-]\d{2}:\d{2})$/.exec(was)?.[1] ?? offset()}` : '');
  return (
    <Space wrap size={4}>
      <Select<string>
        value={kind}
        style={{ width: 130 }}
        data-testid="cond-window"
        onChange={(k) => onChange(k === 'all' ? undefined : k === 'last' ? { lastDays: 30 } : { from: '', to: '' })}
        options={[
          { value: 'all', label: t('rbWindowAll') },
          { value: 'last', label: t('rbWindowLast') },
          { value: 'between', label: t('rbWindowBetween') },
        ]}
      />
      {value && 'lastDays' in value && (
        <Space.Compact>
          <InputNumber<number>
            min={1}
            max={3650}
            precision={0}
            value={value.lastDays}
            onChange={(n) => onChange({ lastDays: n ?? 1 })}
            style={{ width: 90 }}
            data-testid="cond-window-days"
          />
          <Space.Addon>{t('rbDays')}</Space.Addon>
        </Space.Compact>
      )}
      {value && 'from' in value && (
        <>
          <Input type="datetime-local" value={local(value.from)} onChange={(e) => onChange({ ...value, from: iso(e.target.value, value.from) })} />
          <span>–</span>
          <Input type="datetime-local" value={local(value.to)} onChange={(e) => onChange({ ...value, to: iso(e.target.value, value.to) })} />
        </>
      )}
    </Space>
  );
}

/** Property filters of an event condition: property (picked from the event's data), operator, argument. */
function WhereEditor(props: {
  event: string;
  where: PropertyFilter[] | undefined;
  onChange: (w: PropertyFilter[] | undefined) => void;
  catalog: DataCatalog;
  t: T;
}) {
  const { event, catalog, t } = props;
  const where = props.where ?? [];
  useEffect(() => void catalog.propertiesOf(event), [catalog, event]);
  const known = catalog.propertiesOf(event) ?? [];
  const set = (i: number, f: PropertyFilter) => props.onChange(where.map((x, k) => (k === i ? f : x)));
  return (
    <Space direction="vertical" size={4} style={{ width: '100%' }}>
      {where.map((f, i) => (
        <Space key={i} wrap size={4} data-testid="where-row">
          <span style={{ color: '#888' }}>{t('rbWhere')}</span>
          <NamePicker
            value={f.property}
            options={known.map((p) => p.property)}
            onChange={(property) => set(i, { ...f, property })}
            placeholder={t('rbProperty')}
            testId="where-property"
            width={160}
          />
          <ComparisonEditor<PropertyFilter>
            value={f}
            ops={COMPARE_OPS}
            onChange={(c) => set(i, c)}
            examples={known.find((p) => p.property === f.property)?.examples}
            testId="where"
          />
          <Button size="small" type="text" onClick={() => props.onChange(where.length === 1 ? undefined : where.filter((_, k) => k !== i))}>
            ✕
          </Button>
        </Space>
      ))}
      <Button size="small" type="dashed" onClick={() => props.onChange([...where, { property: '', op: 'eq', value: '' }])} data-testid="add-where">
        {t('rbAddWhere')}
      </Button>
    </Space>
  );
}

/** A tag reference's value in the picker: the tag id, or `name:<json>` for a reference by group and name. */
const refValue = (r: TagRef) => ('id' in r ? r.id : `name:${JSON.stringify(r)}`);

const ROWS: { [K in LeafType]: (p: RowProps<K>, t: T) => ReactNode } = {
  trait: ({ rule, onChange, catalog }, t) => (
    <>
      <NamePicker
        value={rule.key}
        options={catalog.traits.map((k) => k.key)}
        onChange={(key) => onChange({ ...rule, key })}
        placeholder={t('rbTraitKey')}
        testId="cond-key"
      />
      <ComparisonEditor
        value={rule}
        ops={[...COMPARE_OPS, ...DATE_OPS]}
        onChange={onChange}
        examples={catalog.traits.find((k) => k.key === rule.key)?.examples}
        testId="cond"
      />
    </>
  ),
  profile: ({ rule, onChange }, t) => {
    const numeric = NUMERIC_FIELDS.includes(rule.field);
    return (
      <>
        <Select
          value={rule.field}
          style={{ width: 170 }}
          popupMatchSelectWidth={false}
          data-testid="cond-field"
          onChange={(field) => {
            const ops: readonly string[] = NUMERIC_FIELDS.includes(field) ? NUMERIC_FIELD_OPS : TIME_FIELD_OPS;
            onChange(
              ops.includes(rule.op)
                ? { ...rule, field }
                : NUMERIC_FIELDS.includes(field)
                  ? { type: 'profile', field, op: 'gte', value: 1 }
                  : { type: 'profile', field, op: 'within_last_days', days: 30 },
            );
          }}
          options={PROFILE_FIELDS.map((f) => ({ value: f, label: t(`rbField_${f}`) }))}
        />
        <ComparisonEditor value={rule} ops={numeric ? NUMERIC_FIELD_OPS : TIME_FIELD_OPS} numbersOnly={numeric} onChange={onChange} testId="cond" />
      </>
    );
  },
  tag: ({ rule, onChange, catalog }, t) => {
    const label = (id: string) => catalog.tags.find((g) => g.id === id);
    return (
      <>
        <Segmented<'any' | 'all'>
          value={rule.match}
          onChange={(match) => onChange({ ...rule, match })}
          options={[
            { value: 'any', label: t('rbTagsAny') },
            { value: 'all', label: t('rbTagsAll') },
          ]}
        />
        <Select<string[]>
          mode="tags"
          value={rule.tags.map(refValue)}
          style={{ minWidth: 260 }}
          placeholder={t('rbTagsHint')}
          data-testid="cond-tags"
          optionFilterProp="label"
          onChange={(values) =>
            onChange({
              ...rule,
              tags: values.map((v): TagRef => {
                const kept = rule.tags.find((r) => refValue(r) === v);
                if (kept) return kept;
                if (label(v)) return { id: v };
                const slash = v.indexOf('/');
                return slash > 0 ? { group: v.slice(0, slash), name: v.slice(slash + 1) } : { name: v };
              }),
            })
          }
          options={[
            ...catalog.tags.map((g) => ({ value: g.id ?? '', label: `${g.group ?? ''}/${g.name ?? ''}` })),
            ...rule.tags.filter((r) => !('id' in r)).map((r) => ({ value: refValue(r), label: 'name' in r ? `${r.group ?? 'default'}/${r.name}` : '' })),
          ]}
        />
      </>
    );
  },
  event: ({ rule, onChange, catalog }, t) => {
    const count = rule.count ?? { op: 'at_least' as const, value: 1 };
    return (
      <Space direction="vertical" size={4} style={{ width: '100%' }}>
        <Space wrap size={4}>
          <NamePicker
            value={rule.event}
            options={catalog.events}
            onChange={(event) => onChange({ ...rule, event })}
            placeholder={t('rbEvent')}
            testId="cond-event"
          />
          <Select
            value={count.op}
            style={{ width: 110 }}
            data-testid="cond-count-op"
            onChange={(op) => onChange({ ...rule, count: { ...count, op } })}
            options={COUNT_OPS.map((o) => ({ value: o, label: t(`rbCount_${o}`) }))}
          />
          <Space.Compact>
            <InputNumber<number>
              min={0}
              max={1_000_000}
              precision={0}
              value={count.value}
              onChange={(value) => onChange({ ...rule, count: { ...count, value: value ?? 0 } })}
              style={{ width: 90 }}
              data-testid="cond-count"
            />
            <Space.Addon>{t('rbTimes')}</Space.Addon>
          </Space.Compact>
          <WindowEditor value={rule.window} onChange={(window) => onChange(window ? { ...rule, window } : withoutKey(rule, 'window'))} t={t} />
        </Space>
        <WhereEditor
          event={rule.event}
          where={rule.where}
          catalog={catalog}
          t={t}
          onChange={(where) => onChange(where ? { ...rule, where } : withoutKey(rule, 'where'))}
        />
      </Space>
    );
  },
  last_performed: ({ rule, onChange, catalog }, t) => (
    <Space direction="vertical" size={4} style={{ width: '100%' }}>
      <Space wrap size={4}>
        <NamePicker
          value={rule.event}
          options={catalog.events}
          onChange={(event) => onChange({ ...rule, event })}
          placeholder={t('rbEvent')}
          testId="cond-event"
        />
        <span>{t('rbLastMoreThan')}</span>
        <Space.Compact>
          <InputNumber<number>
            min={0}
            max={3650}
            precision={0}
            value={rule.moreThanDays}
            onChange={(n) => onChange({ ...rule, moreThanDays: n ?? 0 })}
            style={{ width: 90 }}
            data-testid="cond-more-than-days"
          />
          <Space.Addon>{t('rbDaysAgo')}</Space.Addon>
        </Space.Compact>
      </Space>
      <WhereEditor
        event={rule.event}
        where={rule.where}
        catalog={catalog}
        t={t}
        onChange={(where) => onChange(where ? { ...rule, where } : withoutKey(rule, 'where'))}
      />
    </Space>
  ),
  never_performed: ({ rule, onChange, catalog }, t) => (
    <Space direction="vertical" size={4} style={{ width: '100%' }}>
      <NamePicker
        value={rule.event}
        options={catalog.events}
        onChange={(event) => onChange({ ...rule, event })}
        placeholder={t('rbEvent')}
        testId="cond-event"
      />
      <WhereEditor
        event={rule.event}
        where={rule.where}
        catalog={catalog}
        t={t}
        onChange={(where) => onChange(where ? { ...rule, where } : withoutKey(rule, 'where'))}
      />
    </Space>
  ),
  rfm: ({ rule, onChange }, t) => (
    <Choices value={rule.cells} values={RFM_CELLS} label={(c) => t(`rbCell_${c}`)} onChange={(cells) => onChange({ ...rule, cells })} testId="cond-cells" />
  ),
  lifecycle: ({ rule, onChange }, t) => (
    <Choices
      value={rule.stages}
      values={LIFECYCLE_STAGES}
      label={(s) => t(`rbStage_${s}`)}
      onChange={(stages) => onChange({ ...rule, stages })}
      testId="cond-stages"
    />
  ),
  community_role: ({ rule, onChange }, t) => (
    <Choices
      value={rule.roles}
      values={COMMUNITY_ROLES}
      label={(r) => t(`rbRole_${r}`)}
      onChange={(roles) => onChange({ ...rule, roles })}
      testId="cond-roles"
    />
  ),
  consent: ({ rule, onChange, catalog }, t) => (
    <>
      <NamePicker
        value={rule.key}
        options={catalog.consent.map((k) => k.key)}
        onChange={(key) => onChange({ ...rule, key })}
        placeholder={t('rbConsentKey')}
        testId="cond-consent-key"
      />
      <Select
        value={rule.state}
        style={{ width: 130 }}
        data-testid="cond-consent-state"
        onChange={(state) => onChange({ ...rule, state })}
        options={CONSENT_STATES.map((s) => ({ value: s, label: t(`rbConsent_${s}`) }))}
      />
    </>
  ),
  segment: ({ rule, onChange, catalog, selfId }, t) => (
    <Select<string>
      showSearch
      optionFilterProp="label"
      value={rule.segmentId || undefined}
      placeholder={t('rbSegmentPick')}
      style={{ minWidth: 260 }}
      data-testid="cond-segment"
      onChange={(segmentId) => onChange({ ...rule, segmentId })}
      options={[
        ...catalog.segments.filter((s) => s.id !== selfId).map((s) => ({ value: s.id, label: s.name })),
        ...(rule.segmentId && !catalog.segments.some((s) => s.id === rule.segmentId) ? [{ value: rule.segmentId, label: rule.segmentId }] : []),
      ]}
    />
  ),
  bucket: ({ rule, onChange }, t) => (
    <Space wrap size={4}>
      <span>{t('rbBucketFrom')}</span>
      <InputNumber<number> min={0} max={99} precision={0} value={rule.from} onChange={(from) => onChange({ ...rule, from: from ?? 0 })} style={{ width: 80 }} />
      <span>{t('rbBucketTo')}</span>
      <InputNumber<number> min={1} max={100} precision={0} value={rule.to} onChange={(to) => onChange({ ...rule, to: to ?? 100 })} style={{ width: 80 }} />
      <Input
        value={rule.salt ?? ''}
        placeholder={t('rbBucketSalt')}
        onChange={(e) => onChange(e.target.value === '' ? withoutKey(rule, 'salt') : { ...rule, salt: e.target.value })}
        style={{ width: 160 }}
      />
    </Space>
  ),
};

/** A copy of a rule without one optional field. */
function withoutKey<R extends object, K extends keyof R>(rule: R, key: K): R {
  const copy = { ...rule };
  delete copy[key];
  return copy;
}

/** The fields of one condition. */
export function ConditionFields(props: { rule: LeafRule; onChange: (r: LeafRule) => void; catalog: DataCatalog; selfId?: string }) {
  const { t } = useI18n();
  const row = ROWS[props.rule.type] as (p: RowProps<LeafType>, t: T) => ReactNode;
  return (
    <Space wrap size={4} style={{ flex: 1, minWidth: 0 }}>
      {row({ rule: props.rule, onChange: props.onChange, catalog: props.catalog, selfId: props.selfId }, t)}
    </Space>
  );
}
