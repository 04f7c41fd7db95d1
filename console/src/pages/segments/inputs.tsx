/**
 * The rule builder's value inputs: a name picked from the data or typed (trait key, event,
 * property), a typed scalar (text, number, yes/no), a list of values, a date, a number of days,
 * and the comparison editor (operator and its argument) that traits, profile fields and event
 * property filters share.
 */
import { AutoComplete, Input, InputNumber, Select, Space } from 'antd';
import type { CompareOp, DateOp, Scalar } from '../../../../src/segments/rule.types.ts';
import { type MessageKey, useI18n } from '../../i18n.ts';
import { argumentOf, withOp } from './rule-model.ts';

/** A name from a list or typed freely. */
export function NamePicker(props: { value: string; options: string[]; onChange: (v: string) => void; placeholder: string; testId: string; width?: number }) {
  const q = props.value.toLowerCase();
  return (
    <AutoComplete
      value={props.value}
      options={props.options.filter((o) => o.toLowerCase().includes(q)).map((o) => ({ value: o }))}
      onChange={(v: string) => props.onChange(v)}
      placeholder={props.placeholder}
      style={{ width: props.width ?? 200, maxWidth: '100%' }}
      data-testid={props.testId}
    />
  );
}

type ScalarType = 'string' | 'number' | 'boolean';

/** A scalar with its JSON type: text (suggesting `examples`), a number, or yes/no. */
export function ScalarInput(props: { value: Scalar | undefined; onChange: (v: Scalar) => void; examples?: Scalar[]; numbersOnly?: boolean; testId: string }) {
  const { t } = useI18n();
  const type: ScalarType = props.numbersOnly ? 'number' : typeof props.value === 'number' ? 'number' : typeof props.value === 'boolean' ? 'boolean' : 'string';
  const setType = (next: ScalarType) => {
    const v = props.value;
    if (next === 'number') props.onChange(Number.isFinite(Number(v)) && v !== '' ? Number(v) : 0);
    else if (next === 'boolean') props.onChange(v === true || v === 'true');
    else props.onChange(v === undefined ? '' : String(v));
  };
  const suggestions = (props.examples ?? []).filter((e) => typeof e === type).map((e) => String(e));
  return (
    <Space.Compact>
      {!props.numbersOnly && (
        <Select<ScalarType>
          value={type}
          onChange={setType}
          style={{ width: 76 }}
          popupMatchSelectWidth={false}
          data-testid={`${props.testId}-type`}
          options={(['string', 'number', 'boolean'] as const).map((v) => ({ value: v, label: t(`rbType_${v}`) }))}
        />
      )}
      {type === 'number' ? (
        <InputNumber<number> value={typeof props.value === 'number' ? props.value : null} onChange={(v) => props.onChange(v ?? 0)} data-testid={props.testId} />
      ) : type === 'boolean' ? (
        <Select<string>
          value={String(props.value === true)}
          onChange={(v) => props.onChange(v === 'true')}
          style={{ width: 96 }}
          data-testid={props.testId}
          options={[
            { value: 'true', label: t('rbTrue') },
            { value: 'false', label: t('rbFalse') },
          ]}
        />
      ) : (
        <AutoComplete
          value={typeof props.value === 'string' ? props.value : ''}
          onChange={(v: string) => props.onChange(v)}
          options={suggestions.map((v) => ({ value: v }))}
          style={{ width: 150 }}
          placeholder={t('rbValue')}
          data-testid={props.testId}
        />
      )}
    </Space.Compact>
  );
}

/**
 * A list of values (the `in` operators): typed as tags, numbers when every entry is one (or
 * `numbersOnly`). Entries left as they were keep their JSON type, so a mixed list survives a visit.
 */
export function ListInput(props: { value: Scalar[]; onChange: (v: Scalar[]) => void; examples?: Scalar[]; numbersOnly?: boolean; testId: string }) {
  const { t } = useI18n();
  const numbers = props.numbersOnly || (props.value.length > 0 && props.value.every((v) => typeof v === 'number'));
  const change = (texts: string[]) =>
    props.onChange(
      texts.flatMap((s): Scalar[] => {
        const kept = props.value.find((v) => String(v) === s);
        if (kept !== undefined) return [kept];
        if (numbers) return Number.isFinite(Number(s)) && s.trim() !== '' ? [Number(s)] : [];
        return [s];
      }),
    );
  return (
    <Select<string[]>
      mode="tags"
      value={props.value.map(String)}
      onChange={change}
      tokenSeparators={[',', '，']}
      options={(props.examples ?? []).map((e) => ({ value: String(e) }))}
      placeholder={t(numbers ? 'rbNumbersHint' : 'rbValuesHint')}
      style={{ minWidth: 220 }}
      data-testid={props.testId}
    />
  );
}

/** An operator's label. */
export const opLabel = (t: (k: MessageKey) => string, op: string) => t(`rbOp_${op}` as MessageKey);

type Comparison = { op: CompareOp | DateOp; value?: Scalar | Scalar[]; days?: number };

/** An operator picked from `ops` and the argument it takes (none, a scalar, a list, a date, days). */
export function ComparisonEditor<C extends Comparison>(props: {
  value: C;
  ops: readonly C['op'][];
  onChange: (c: C) => void;
  examples?: Scalar[];
  numbersOnly?: boolean;
  maxDays?: number;
  testId: string;
}) {
  const { t } = useI18n();
  const c = props.value;
  const kind = argumentOf(c.op);
  return (
    <Space wrap size={4}>
      <Select<C['op']>
        value={c.op}
        onChange={(op) => props.onChange(withOp(c, op))}
        style={{ width: 150 }}
        popupMatchSelectWidth={false}
        data-testid={`${props.testId}-op`}
        options={props.ops.map((op) => ({ value: op, label: opLabel(t, op) }))}
      />
      {kind === 'scalar' && (
        <ScalarInput
          value={c.value as Scalar | undefined}
          examples={props.examples}
          numbersOnly={props.numbersOnly}
          onChange={(value) => props.onChange({ ...c, value })}
          testId={`${props.testId}-value`}
        />
      )}
      {kind === 'list' && (
        <ListInput
          value={Array.isArray(c.value) ? c.value : []}
          examples={props.examples}
          numbersOnly={props.numbersOnly}
          onChange={(value) => props.onChange({ ...c, value })}
          testId={`${props.testId}-value`}
        />
      )}
      {kind === 'date' && (
        <Input
          type="date"
          value={typeof c.value === 'string' ? c.value : ''}
          onChange={(e) => props.onChange({ ...c, value: e.target.value })}
          style={{ width: 160 }}
          data-testid={`${props.testId}-value`}
        />
      )}
      {kind === 'days' && (
        <Space.Compact>
          <InputNumber<number>
            min={0}
            max={props.maxDays ?? (c.op === 'birthday_in_days' ? 366 : 3650)}
            precision={0}
            value={c.days ?? null}
            onChange={(days) => props.onChange({ ...c, days: days ?? 0 })}
            style={{ width: 96 }}
            data-testid={`${props.testId}-days`}
          />
          <Space.Addon>{t('rbDays')}</Space.Addon>
        </Space.Compact>
      )}
    </Space>
  );
}
