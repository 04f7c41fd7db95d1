/**
 * A journey definition as a graph for the canvas, and back: one node per step (plus the trigger),
 * one edge per exit (`next`, `timeoutNext`, `branches[i].next`, `defaultNext`, `variants[i].next`).
 * The canvas edits edges and node positions; `fromGraph` writes the exits back into the steps and
 * leaves everything else of the definition as it was, so canvas ↔ JSON is lossless
 * (test/journey-canvas.test.ts checks it for every step type). No React here.
 */

/** A step as the canvas handles it: the server's definition language is the authority (GET /v1/journeys/schema). */
export interface CanvasStep {
  id: string;
  type: string;
  name?: string;
  [field: string]: unknown;
}

/** The definition fields the canvas reads. */
export interface CanvasDefinition {
  trigger: { type: string; [k: string]: unknown };
  start?: string;
  steps: CanvasStep[];
  [field: string]: unknown;
}

/** A node: the trigger (`__trigger`) or a step, with its position. */
export interface GraphNode {
  id: string;
  step?: CanvasStep;
  x: number;
  y: number;
}

/** An edge from a step's exit (`handle`: the exit's key, e.g. `next`, `branches[1].next`) to a step. */
export interface GraphEdge {
  id: string;
  source: string;
  handle: string;
  target: string;
}

/** The trigger node's id. */
export const TRIGGER_NODE = '__trigger';

/** Every step type of the definition language (journeys' STEP_TYPES). */
export const STEP_TYPES = ['wait', 'wait_for_event', 'branch', 'split', 'send', 'update_trait', 'tag', 'award', 'webhook', 'goal', 'exit'] as const;

/** A step's exits: the key of each and where it goes now. */
export function exitsOf(s: CanvasStep): { key: string; to: string | undefined }[] {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  switch (s.type) {
    case 'exit':
      return [];
    case 'wait_for_event':
      return [
        { key: 'next', to: str(s.next) },
        { key: 'timeoutNext', to: str(s.timeoutNext) },
      ];
    case 'branch': {
      const branches = Array.isArray(s.branches) ? (s.branches as { next?: unknown }[]) : [];
      return [...branches.map((b, i) => ({ key: `branches[${i}].next`, to: str(b.next) })), { key: 'defaultNext', to: str(s.defaultNext) }];
    }
    case 'split': {
      const variants = Array.isArray(s.variants) ? (s.variants as { next?: unknown }[]) : [];
      return variants.map((v, i) => ({ key: `variants[${i}].next`, to: str(v.next) }));
    }
    default:
      return [{ key: 'next', to: str(s.next) }];
  }
}

/** The first step's id. */
export function startOf(def: CanvasDefinition): string | undefined {
  return def.start ?? def.steps[0]?.id;
}

/**
 * Nodes and edges of a definition. Positions: `positions` where known (kept by the editor), else a
 * layered layout — a step's row is its distance from the start, steps in a row side by side.
 */
export function toGraph(def: CanvasDefinition, positions: Record<string, { x: number; y: number }> = {}): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const depth = new Map<string, number>();
  const start = startOf(def);
  const queue: string[] = start ? [start] : [];
  if (start) depth.set(start, 1);
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  while (queue.length) {
    const id = queue.shift()!;
    const s = byId.get(id);
    if (!s) continue;
    for (const e of exitsOf(s)) {
      if (e.to && !depth.has(e.to)) {
        depth.set(e.to, depth.get(id)! + 1);
        queue.push(e.to);
      }
    }
  }
  const unreached = Math.max(1, ...depth.values()) + 1;
  const column = new Map<number, number>();
  const place = (id: string, row: number) => {
    const col = column.get(row) ?? 0;
    column.set(row, col + 1);
    return positions[id] ?? { x: col * 260, y: row * 140 };
  };
  const nodes: GraphNode[] = [{ id: TRIGGER_NODE, ...place(TRIGGER_NODE, 0) }];
  for (const s of def.steps) nodes.push({ id: s.id, step: s, ...place(s.id, depth.get(s.id) ?? unreached) });
  const edges: GraphEdge[] = start ? [{ id: `${TRIGGER_NODE}:start`, source: TRIGGER_NODE, handle: 'start', target: start }] : [];
  for (const s of def.steps) for (const e of exitsOf(s)) if (e.to) edges.push({ id: `${s.id}:${e.key}`, source: s.id, handle: e.key, target: e.to });
  return { nodes, edges };
}

/** A copy of a step with one exit (`next`, `branches[1].next`, ...) pointing at `to`, or removed when `to` is undefined. */
export function setExit(s: CanvasStep, key: string, to: string | undefined): CanvasStep {
  const copy: CanvasStep = structuredClone(s);
  const m = /^(branches|variants)\[(\d+)\]\.next$/.exec(key);
  const target = m ? ((copy[m[1]!] as Record<string, unknown>[] | undefined)?.[Number(m[2])] as Record<string, unknown> | undefined) : copy;
  if (!target) return copy;
  const field = m ? 'next' : key;
  if (to === undefined) delete target[field];
  else target[field] = to;
  return copy;
}

/**
 * The definition with the steps of `nodes` (in their order) and exits from `edges`: every exit of a
 * step is set from its edge, or removed when it has none; the trigger's edge sets `start`.
 */
export function fromGraph(base: CanvasDefinition, nodes: GraphNode[], edges: GraphEdge[]): CanvasDefinition {
  const steps = nodes.filter((n) => n.step).map((n) => n.step!);
  const out: CanvasDefinition = { ...structuredClone(base), steps: [] };
  for (const s of steps) {
    let next = s;
    for (const e of exitsOf(s)) next = setExit(next, e.key, edges.find((x) => x.source === s.id && x.handle === e.key)?.target);
    out.steps.push(next);
  }
  const start = edges.find((e) => e.source === TRIGGER_NODE)?.target;
  if (base.start !== undefined || (start !== undefined && start !== steps[0]?.id)) out.start = start;
  if (out.start === undefined) delete out.start;
  return out;
}

/** A new step of a type with the fields the definition language requires filled with placeholders an operator edits. */
export function newStep(type: string, id: string): CanvasStep {
  const defaults: Record<string, Record<string, unknown>> = {
    wait: { duration: { days: 1 } },
    wait_for_event: { event: 'Order Completed', timeout: { days: 3 } },
    branch: { branches: [{ name: 'A', rule: { type: 'trait', key: 'plan', op: 'eq', value: 'vip' } }] },
    split: {
      variants: [
        { key: 'a', weight: 1 },
        { key: 'b', weight: 1 },
      ],
    },
    send: { channel: 'webhook', content: { body: {} } },
    update_trait: { set: { touched: true } },
    tag: { add: [{ group: 'journey', name: 'reached' }] },
    award: { points: 10, reason: 'journey' },
    webhook: { body: {} },
    goal: { event: 'Order Completed', withinDays: 7 },
    exit: {},
  };
  return { id, type, ...structuredClone(defaults[type] ?? {}) };
}

/** The id of the step a validation error's JSON path points into (`steps[2].channel` → that step's id), if any. */
export function stepOfPath(def: CanvasDefinition, path: string): string | undefined {
  const m = /^(?:definition\.)?steps\[(\d+)\]/.exec(path);
  return m ? def.steps[Number(m[1])]?.id : /^(?:definition\.)?trigger/.test(path) ? TRIGGER_NODE : undefined;
}
