/**
 * The visual rule builder: groups (match all / any) holding conditions and nested groups, each
 * row with a NOT switch and a remove button; a condition's fields come from ConditionRow. Rows
 * that still lack something are marked before anything is sent, and the server's problems
 * (their JSON paths) are shown on the row they point into.
 */
import { Button, Card, Checkbox, Grid, Segmented, Select, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { type MessageKey, useI18n } from '../../i18n.ts';
import type { DataCatalog } from './catalog.ts';
import { ConditionFields } from './ConditionRow.tsx';
import { type BuilderNode, LEAF_TYPES, type LeafType, newCondition, nodeKey, removeNode, unwrapNots, updateNode, withNots } from './rule-model.ts';

/** What every node view needs besides its node. */
interface Ctx {
  root: BuilderNode;
  setRoot: (m: BuilderNode) => void;
  catalog: DataCatalog;
  gaps: Map<string, string>;
  problems: Map<string, string[]>;
  selfId?: string;
  /** A wide screen (md and up): a condition on one line. */
  wide: boolean;
}

/** NOT on a row: a checkbox, with the count when the JSON holds several negations in a row. */
function NotSwitch({ depth, onChange }: { depth: number; onChange: (depth: number) => void }) {
  const { t } = useI18n();
  return (
    <Checkbox checked={depth > 0} onChange={(e) => onChange(e.target.checked ? 1 : 0)} data-testid="node-not">
      {t('rbNot')}
      {depth > 1 && ` ×${depth}`}
    </Checkbox>
  );
}

/** Gaps and server problems of a row. */
function RowNotes({ ctx, keys }: { ctx: Ctx; keys: string[] }) {
  const { t } = useI18n();
  const gap = keys.map((k) => ctx.gaps.get(k)).find(Boolean);
  const problems = keys.flatMap((k) => ctx.problems.get(k) ?? []);
  if (!gap && problems.length === 0) return null;
  return (
    <div style={{ marginTop: 4 }}>
      {gap && (
        <Typography.Text type="warning" data-testid="node-gap">
          {t(gap === 'children' ? 'rbGapChildren' : 'rbGap', { field: gap })}
        </Typography.Text>
      )}
      {problems.map((p, i) => (
        <div key={i}>
          <Typography.Text type="danger" data-testid="node-problem">
            {p}
          </Typography.Text>
        </div>
      ))}
    </div>
  );
}

/** Adds a condition of a chosen type, or a group, to a group. */
function AddBar({ onAdd }: { onAdd: (n: BuilderNode) => void }) {
  const { t } = useI18n();
  const [type, setType] = useState<LeafType>('trait');
  return (
    <Space wrap size={4} style={{ marginTop: 8 }}>
      <Select<LeafType>
        value={type}
        onChange={setType}
        style={{ width: 180 }}
        popupMatchSelectWidth={false}
        data-testid="add-condition-type"
        options={LEAF_TYPES.map((x) => ({ value: x, label: t(`rbKind_${x}` as MessageKey) }))}
      />
      <Button size="small" onClick={() => onAdd({ kind: 'condition', key: nodeKey(), rule: newCondition(type) })} data-testid="add-condition">
        {t('rbAddCondition')}
      </Button>
      <Button
        size="small"
        onClick={() => onAdd({ kind: 'group', key: nodeKey(), op: 'and', children: [{ kind: 'condition', key: nodeKey(), rule: newCondition(type) }] })}
        data-testid="add-group"
      >
        {t('rbAddGroup')}
      </Button>
    </Space>
  );
}

/** One node (a group or a condition, with the negations around it) and, for a group, its children. */
function NodeView({ node, ctx, isRoot }: { node: BuilderNode; ctx: Ctx; isRoot?: boolean }) {
  const { t } = useI18n();
  const { depth, inner } = unwrapNots(node);
  const replace = (n: BuilderNode) => ctx.setRoot(updateNode(ctx.root, node.key, () => n));
  const setInner = (n: BuilderNode) => replace(withNots(n, depth, node.key));
  const remove = !isRoot && (
    <Button size="small" type="text" danger onClick={() => ctx.setRoot(removeNode(ctx.root, node.key))} data-testid="node-remove" aria-label={t('rbRemove')}>
      ✕
    </Button>
  );
  const keys = [node.key, inner.key];
  if (inner.kind === 'group') {
    return (
      <Card
        size="small"
        data-testid="rule-group"
        style={{ background: isRoot ? undefined : 'rgba(0,0,0,0.02)', marginBottom: 8 }}
        styles={{ body: { padding: 8 } }}
      >
        <Space wrap size={8} style={{ marginBottom: 8 }}>
          <Segmented<'and' | 'or'>
            value={inner.op}
            onChange={(op) => setInner({ ...inner, op, implicit: false })}
            options={[
              { value: 'and', label: <span data-testid="group-and">{t('rbMatchAll')}</span> },
              { value: 'or', label: <span data-testid="group-or">{t('rbMatchAny')}</span> },
            ]}
          />
          {!isRoot && <NotSwitch depth={depth} onChange={(d) => replace(withNots(inner, d, node.key))} />}
          {remove}
        </Space>
        <RowNotes ctx={ctx} keys={keys} />
        <div style={{ paddingLeft: 8, borderLeft: '3px solid #e6f4ff' }}>
          {inner.children.map((c) => (
            <NodeView key={c.key} node={c} ctx={ctx} />
          ))}
          {inner.children.length === 0 && <Typography.Text type="secondary">{t('rbEmptyGroup')}</Typography.Text>}
        </div>
        <AddBar onAdd={(n) => setInner({ ...inner, children: [...inner.children, n] })} />
      </Card>
    );
  }
  if (inner.kind !== 'condition') return null;
  const kind = (
    <Tag color="blue" style={{ marginTop: 4 }}>
      {t(`rbKind_${inner.rule.type}` as MessageKey)}
    </Tag>
  );
  const actions = (
    <Space size={4} style={{ marginLeft: 'auto', marginTop: 4 }}>
      <NotSwitch depth={depth} onChange={(d) => replace(withNots(inner, d, node.key))} />
      {remove}
    </Space>
  );
  const fields = <ConditionFields rule={inner.rule} catalog={ctx.catalog} selfId={ctx.selfId} onChange={(rule) => setInner({ ...inner, rule })} />;
  return (
    <div
      data-testid="condition"
      data-type={inner.rule.type}
      style={{ padding: '6px 8px', marginBottom: 6, border: '1px solid #f0f0f0', borderRadius: 6, background: '#fff' }}
    >
      {/* One line on a wide screen; on a phone the type and the switches first, the fields below. */}
      {ctx.wide ? (
        <div style={{ display: 'flex', gap: 8, alignItems: 'flex-start' }}>
          {kind}
          {fields}
          {actions}
        </div>
      ) : (
        <>
          <div style={{ display: 'flex', alignItems: 'center' }}>
            {kind}
            {actions}
          </div>
          {fields}
        </>
      )}
      <RowNotes ctx={ctx} keys={keys} />
    </div>
  );
}

/** The builder over a model; `problems` are the server's messages by node key. */
export function RuleBuilder(props: {
  model: BuilderNode;
  onChange: (m: BuilderNode) => void;
  catalog: DataCatalog;
  gaps: Map<string, string>;
  problems: Map<string, string[]>;
  selfId?: string;
}) {
  const wide = Grid.useBreakpoint().md !== false;
  const ctx: Ctx = {
    root: props.model,
    setRoot: props.onChange,
    catalog: props.catalog,
    gaps: props.gaps,
    problems: props.problems,
    selfId: props.selfId,
    wide,
  };
  return (
    <div data-testid="rule-builder">
      <NodeView node={props.model} ctx={ctx} isRoot />
    </div>
  );
}
