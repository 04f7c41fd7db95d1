import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/** Time spent per kind of statement, e.g. "update profiles": count and total ms. */
export type StatementTimes = Map<string, { count: number; ms: number }>;

const VERB: Record<string, string> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
};

/** The first table a statement names (depth-first), or undefined. */
function firstTable(node: unknown): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const n = node as { kind?: string; table?: { identifier?: { name?: string } } };
  if (n.kind === 'TableNode' && n.table?.identifier?.name) return n.table.identifier.name;
  for (const v of Object.values(node)) {
    const hit = Array.isArray(v) ? v.map(firstTable).find(Boolean) : firstTable(v);
    if (hit) return hit;
  }
  return undefined;
}

function labelOf(node: RootOperationNode): string {
  if (node.kind === 'RawNode') {
    const text = (node as unknown as { sqlFragments: string[] }).sqlFragments.join(' ? ');
    return text.trim().split(/\s+/).slice(0, 2).join(' ').toLowerCase();
  }
  return `${VERB[node.kind] ?? node.kind} ${firstTable(node as OperationNode) ?? '?'}`;
}

/**
 * A Kysely plugin that times every statement from just before it is compiled to just after its
 * result arrives, grouped by verb and table. Labels are worked out after the clock stops.
 */
export function statementTimer(): { plugin: KyselyPlugin; times: StatementTimes; wrap<D extends object>(dialect: D): D } {
  const times: StatementTimes = new Map();
  const record = (label: string, ms: number) => {
    const entry = times.get(label) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += ms;
    times.set(label, entry);
  };
  // Statements issued from inside a timed dialect helper are already counted by the helper.
  let inHelper = 0;
  const started = new WeakMap<object, { node: RootOperationNode; t: number }>();
  const plugin: KyselyPlugin = {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      started.set(args.queryId, { node: args.node, t: performance.now() });
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      const end = performance.now();
      const s = started.get(args.queryId);
      if (s && inHelper === 0) record(labelOf(s.node), end - s.t);
      return args.result;
    },
  };
  /**
   * Wraps the engine's dialect object so its asynchronous helpers (bulk writes that may bypass
   * Kysely, such as prepared statements on the raw SQLite connection) are timed too, labelled
   * "<helper> <table>" when the second argument names a table.
   */
  const wrap = <D extends object>(dialect: D): D => {
    const out: Record<string, unknown> = { ...(dialect as Record<string, unknown>) };
    for (const [name, fn] of Object.entries(dialect)) {
      if (typeof fn !== 'function') continue;
      out[name] = (...args: unknown[]) => {
        const t0 = performance.now();
        inHelper++;
        let result: unknown;
        try {
          result = fn.apply(dialect, args);
        } finally {
          if (!(result instanceof Promise)) inHelper--;
        }
        if (!(result instanceof Promise)) return result;
        return result.finally(() => {
          inHelper--;
          record(`${name} ${typeof args[1] === 'string' ? args[1] : ''}`.trim(), performance.now() - t0);
        });
      };
    }
    return out as D;
  };
  return { plugin, times, wrap };
}
